import { expect } from 'vitest';
import type { TestContext } from './app.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** `instant` moved by `ms` milliseconds, as a UTC instant with milliseconds. */
export const shift = (instant: string, ms: number) => new Date(Date.parse(instant) + ms).toISOString();

/**
 * Requests with one caller's credentials; PATCH goes as JSON Merge Patch. A POST without a payload
 * sends `{}` (as the SPA does); the policy test "accepts the settle routes without a body" covers a
 * truly bodyless POST on its own.
 */
export function as(ctx: TestContext, headers: Record<string, string>) {
  return (method: Method, url: string, payload?: object) => {
    const body = payload ?? (method === 'POST' ? {} : undefined);
    return ctx.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...headers, ...(body && method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}) },
      ...(body ? { payload: method === 'PATCH' ? JSON.stringify(body) : body } : {}),
    });
  };
}
export type Caller = ReturnType<typeof as>;
export type Reply = Awaited<ReturnType<Caller>>;

/** A ledger entry as the client detail returns it. */
export interface LedgerEntry {
  id: string;
  lotId: string;
  bookingId: string | null;
  kind: string;
  amount: number;
  actor: { kind: string; id: string | null };
  reason: string | null;
  createdAt: string;
}

export function expectOk(res: Reply, status = 200): void {
  expect(res.statusCode, res.body).toBe(status);
}
