import { expect } from 'vitest';
import { findViolations } from '../../src/db/verify.js';
import type { TestContext } from './app.js';
import { latestMail, sessionCookie, signUpPractitioner, unique, type Practitioner } from './api.js';

export interface PracticeSetup {
  practitioner: Practitioner;
  service: { id: string; name: string; durationMinutes: number };
  pkg: { id: string; name: string; credits: number };
}

/** A practice open Mon–Fri 09:00–17:00 (Europe/London) with a 60-minute service and a 5-session package. */
export async function setUpPractice(ctx: TestContext, options: { service?: Record<string, unknown>; pkg?: Record<string, unknown>; practice?: Record<string, unknown> } = {}): Promise<PracticeSetup> {
  const practitioner = await signUpPractitioner(ctx, options.practice);
  const call = async (method: 'POST' | 'PUT', url: string, payload: unknown) => {
    const res = await ctx.app.inject({ method, url: `/api/v1${url}`, headers: practitioner.headers, payload: payload as object });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  await call('PUT', '/availability', { weekly: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })), overrides: [] });
  const service = await call('POST', '/services', { name: 'Coaching session', durationMinutes: 60, ...options.service });
  const pkg = await call('POST', '/packages', { name: '5 sessions', credits: 5, price: { amount: 40000, currency: practitioner.practice.currency }, validityDays: 180, ...options.pkg });
  return { practitioner, service, pkg };
}

export interface SignedInClient {
  id: string;
  email: string;
  headers: Record<string, string>;
  cookie: string;
}

/** A client signs in on the booking page with the emailed code. */
export async function signInClient(ctx: TestContext, slug: string, email = `${unique('client')}@example.com`, name = 'Sam Client'): Promise<SignedInClient> {
  const asked = await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/code`, payload: { email, name } });
  expect(asked.statusCode).toBe(202);
  const mail = await latestMail(ctx, email);
  const code = /code: (\d{6})/.exec(mail!.subject)![1]!;
  const verified = await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/verify`, payload: { email, code } });
  expect(verified.statusCode).toBe(200);
  const cookie = sessionCookie(verified.headers['set-cookie'], 'tb_client');
  return { id: verified.json().client.id, email, headers: { cookie }, cookie };
}

/** Offered slot starts of a service over the next days (practice-local dates). */
export async function slotStarts(ctx: TestContext, slug: string, serviceId: string, from: string, to: string): Promise<string[]> {
  const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/public/${slug}/services/${serviceId}/slots?from=${from}&to=${to}` });
  expect(res.statusCode).toBe(200);
  return res.json().slots.map((s: { start: string }) => s.start);
}

/** Every invariant of DESIGN.md holds on the test database (run after each scenario). */
export async function expectInvariants(ctx: TestContext): Promise<void> {
  expect(await findViolations(ctx.db)).toEqual([]);
}
