import { afterEach, expect, it } from 'vitest';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { latestMail, signUpPractitioner, unique } from '../support/api.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

const askCode = (ctx: TestContext, slug: string, email: string, remoteAddress = '127.0.0.1') =>
  ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/code`, payload: { email }, remoteAddress });
const verify = (ctx: TestContext, slug: string, email: string, code: string, remoteAddress = '127.0.0.1') =>
  ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/verify`, payload: { email, code }, remoteAddress });
const mailedCode = async (ctx: TestContext, email: string) => /code: (\d{6})/.exec((await latestMail(ctx, email))!.subject)![1]!;
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describeEachDialect(
  'client sign-in by emailed code',
  (ctx) => {
    it('mails a 6-digit code that signs the client in once, creating the client on first sign-in', async () => {
      const p = await signUpPractitioner(ctx);
      const email = `${unique('new')}@Example.com`;
      expect((await askCode(ctx, p.practice.slug, email)).statusCode).toBe(202);
      const code = await mailedCode(ctx, email.toLowerCase());
      const res = await verify(ctx, p.practice.slug, email, code);
      expect(res.statusCode).toBe(200);
      expect(res.json().client).toMatchObject({ email: email.toLowerCase(), credits: { available: 0, held: 0, used: 0, expired: 0 } });
      expect(res.json().token).toMatch(/^tbc_/);
      expect(String(res.headers['set-cookie'])).toMatch(/tb_client=.*HttpOnly/i);
      expect((await verify(ctx, p.practice.slug, email, code)).statusCode).toBe(401);
      const bearer = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${res.json().token}` } });
      expect(bearer.statusCode).toBe(200);
    });

    it('stores the code only hashed', async () => {
      const p = await signUpPractitioner(ctx);
      const email = `${unique('hash')}@example.com`;
      await askCode(ctx, p.practice.slug, email);
      const code = await mailedCode(ctx, email);
      const row = await ctx.db.kysely.selectFrom('login_codes').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
      expect(row.code_hash).not.toContain(code);
    });

    it('expires a code after 10 minutes', async () => {
      const p = await signUpPractitioner(ctx);
      const email = `${unique('late')}@example.com`;
      await askCode(ctx, p.practice.slug, email);
      const code = await mailedCode(ctx, email);
      ctx.clock.advance(10 * 60_000 + 1);
      expect((await verify(ctx, p.practice.slug, email, code)).statusCode).toBe(401);
    });

    it('burns a code after 5 wrong attempts, even before the right one is tried', async () => {
      const p = await signUpPractitioner(ctx);
      const email = `${unique('guess')}@example.com`;
      await askCode(ctx, p.practice.slug, email);
      const code = await mailedCode(ctx, email);
      for (let i = 0; i < 5; i++) expect((await verify(ctx, p.practice.slug, email, wrong(code), `10.1.0.${i}`)).statusCode).toBe(401);
      expect((await verify(ctx, p.practice.slug, email, code, '10.1.1.1')).statusCode).toBe(401);
    });

    it('limits code requests per email (5 in 15 minutes) with Retry-After', async () => {
      const p = await signUpPractitioner(ctx);
      const email = `${unique('spam')}@example.com`;
      for (let i = 0; i < 5; i++) expect((await askCode(ctx, p.practice.slug, email, `10.2.0.${i}`)).statusCode).toBe(202);
      const limited = await askCode(ctx, p.practice.slug, email, '10.2.1.1');
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('limits code requests per IP', async () => {
      const p = await signUpPractitioner(ctx);
      for (let i = 0; i < 8; i++) await askCode(ctx, p.practice.slug, `${unique('ip')}@example.com`, '10.3.3.3');
      expect((await askCode(ctx, p.practice.slug, `${unique('ip')}@example.com`, '10.3.3.3')).statusCode).toBe(429);
      expect((await askCode(ctx, p.practice.slug, `${unique('ip')}@example.com`, '10.3.3.4')).statusCode).toBe(202);
    });

    it('keeps client and practitioner sessions apart: each is 403 on the other’s routes, anonymous is 401', async () => {
      const p = await signUpPractitioner(ctx);
      const client = await signInClient(ctx, p.practice.slug);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/clients', headers: client.headers })).statusCode).toBe(403);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: p.headers })).statusCode).toBe(403);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
      // A client cookie presented under the practitioner cookie's name authenticates nobody.
      const swapped = { cookie: `tb_session=${client.cookie.split('=')[1]}` };
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: swapped })).statusCode).toBe(401);
      expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/me/logout', headers: client.headers })).statusCode).toBe(204);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers })).statusCode).toBe(401);
    });

    it('answers an unknown practice with 404', async () => {
      expect((await askCode(ctx, 'no-such-practice', 'x@example.com')).statusCode).toBe(404);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/public/no-such-practice' })).statusCode).toBe(404);
    });
  },
  { config: { rateLimitIpPerMin: 8 } },
);

describeEachDialect('public booking page and slots', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('shows the practice with its active services and packages', async () => {
    const { practitioner, service, pkg } = await setUpPractice(ctx);
    const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/public/${practitioner.practice.slug}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().practice).toMatchObject({ slug: practitioner.practice.slug, timeZone: 'Europe/London', currency: 'USD', policy: { windowHours: 24 } });
    expect(res.json().practice.id).toBeUndefined();
    expect(res.json().services.map((s: { id: string }) => s.id)).toEqual([service.id]);
    expect(res.json().packages.map((s: { id: string }) => s.id)).toEqual([pkg.id]);
  });

  it('lists slots in the practice zone between two dates, to inclusive, and refuses more than 62 days or bad dates', async () => {
    const { practitioner, service } = await setUpPractice(ctx);
    const slug = practitioner.practice.slug;
    const url = (from: string, to: string) => `/api/v1/public/${slug}/services/${service.id}/slots?from=${from}&to=${to}`;
    const res = await ctx.app.inject({ method: 'GET', url: url('2026-03-02', '2026-03-03') });
    expect(res.json().timeZone).toBe('Europe/London');
    const starts = res.json().slots.map((s: { start: string }) => s.start);
    expect(starts[0]).toBe('2026-03-02T09:00:00.000Z');
    expect(starts.at(-1)).toBe('2026-03-03T16:00:00.000Z');
    expect(res.json().slots[0]).toEqual({ start: '2026-03-02T09:00:00.000Z', end: '2026-03-02T10:00:00.000Z', remaining: 1 });
    expect((await ctx.app.inject({ method: 'GET', url: url('2026-03-01', '2026-05-02') })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: url('2026-03-01', '2026-05-01') })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: url('2026-03-05', '2026-03-01') })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: url('2026-02-30', '2026-03-01') })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: url('yesterday', '2026-03-01') })).statusCode).toBe(400);
  });

  it('refuses past, misaligned, out-of-hours and taken starts with 409 slot_unavailable, before looking at credits', async () => {
    const { practitioner, service } = await setUpPractice(ctx);
    const client = await signInClient(ctx, practitioner.practice.slug);
    const book = (start: string) => ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start } });
    for (const start of ['2026-03-01T10:00:00.000Z', '2026-03-03T10:30:00.000Z', '2026-03-03T20:00:00.000Z', '2026-03-07T10:00:00.000Z']) {
      const res = await book(start);
      expect(res.statusCode, start).toBe(409);
      expect(res.json().code).toBe('slot_unavailable');
    }
    // A free, offered slot without credits is a 402: slot_unavailable is decided first.
    expect((await book('2026-03-03T10:00:00.000Z')).statusCode).toBe(402);
    // Any offset is accepted and compared as an instant.
    expect((await book('2026-03-03T11:00:00+01:00')).json().code).toBe('credits_exhausted');
  });

  it('moves a booking atomically: the old seat is offered again and the new one taken', async () => {
    const { practitioner, service } = await setUpPractice(ctx);
    const slug = practitioner.practice.slug;
    const client = await signInClient(ctx, slug);
    await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: practitioner.headers, payload: { credits: 1, reason: 'welcome' } });
    const [first, second] = await slotStarts(ctx, slug, service.id, '2026-03-04', '2026-03-04');
    const booked = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start: first } });
    const moved = await ctx.app.inject({ method: 'POST', url: `/api/v1/me/bookings/${booked.json().booking.id}/reschedule`, headers: client.headers, payload: { start: second } });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().booking).toMatchObject({ start: second, status: 'confirmed' });
    const now = await slotStarts(ctx, slug, service.id, '2026-03-04', '2026-03-04');
    expect(now).toContain(first);
    expect(now).not.toContain(second);
    const byPractitioner = await ctx.app.inject({ method: 'POST', url: `/api/v1/bookings/${booked.json().booking.id}/reschedule`, headers: practitioner.headers, payload: { start: first } });
    expect(byPractitioner.statusCode).toBe(200);
  });
});

describeEachDialect('one client, one session at a time', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('refuses a second seat of a group session to the same client with 409 slot_unavailable', async () => {
    const { practitioner, service } = await setUpPractice(ctx, { service: { name: 'Group class', durationMinutes: 60, capacity: 5 } });
    const slug = practitioner.practice.slug;
    const client = await signInClient(ctx, slug);
    await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: practitioner.headers, payload: { credits: 3, reason: 'test' } });
    const [start] = await slotStarts(ctx, slug, service.id, '2026-03-03', '2026-03-03');
    const book = () => ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start } });
    expect((await book()).statusCode).toBe(201);
    const second = await book();
    expect(second.statusCode).toBe(409);
    expect(second.json().code).toBe('slot_unavailable');
    const other = await signInClient(ctx, slug);
    await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${other.id}/grants`, headers: practitioner.headers, payload: { credits: 1, reason: 'test' } });
    const theirs = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: other.headers, payload: { serviceId: service.id, start } });
    expect(theirs.statusCode).toBe(201);
  });
});
