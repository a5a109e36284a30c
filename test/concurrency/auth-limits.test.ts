import { expect, it } from 'vitest';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { latestMail, signUpPractitioner, unique } from '../support/api.js';

// The bursts are meaningful on both dialects: the password check is asynchronous (argon2 in the
// thread pool) and each code check is its own statement, so without one atomic statement per
// check the requests interleave on SQLite too; on PostgreSQL they also run on separate connections.

const statusCounts = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

async function askCode(ctx: TestContext, slug: string, email: string) {
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/code`, payload: { email }, remoteAddress: '10.50.0.1' });
  expect(res.statusCode).toBe(202);
  return /code: (\d{6})/.exec((await latestMail(ctx, email))!.subject)![1]!;
}

const verify = (ctx: TestContext, slug: string, email: string, code: string, remoteAddress: string) =>
  ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/verify`, payload: { email, code }, remoteAddress });

const logIn = (ctx: TestContext, email: string, password: string, remoteAddress: string) =>
  ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress });

describeEachDialect('sign-in limits under concurrent bursts', (ctx) => {
  it('checks at most 5 of 300 concurrent wrong codes from one address, refuses the rest with 429, and the right code afterwards', async () => {
    const p = await signUpPractitioner(ctx);
    const email = `${unique('burst')}@example.com`;
    const code = await askCode(ctx, p.practice.slug, email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const replies = await Promise.all(Array.from({ length: 300 }, () => verify(ctx, p.practice.slug, email, wrong, '203.0.113.7')));
    const counts = statusCounts(replies.map((r) => r.statusCode));
    expect(Object.keys(counts).sort()).toEqual(['401', '429']);
    expect(counts[429]).toBeGreaterThanOrEqual(300 - 60);
    const row = await ctx.db.kysely.selectFrom('login_codes').select('attempts').where('email', '=', email).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(5);
    const right = await verify(ctx, p.practice.slug, email, code, '198.51.100.9');
    expect([401, 429]).toContain(right.statusCode);
  });

  it('limits concurrent wrong codes for one email across many addresses too', async () => {
    const p = await signUpPractitioner(ctx);
    const email = `${unique('spread')}@example.com`;
    const code = await askCode(ctx, p.practice.slug, email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => verify(ctx, p.practice.slug, email, wrong, `10.60.${i >> 8}.${i & 255}`)));
    const counts = statusCounts(replies.map((r) => r.statusCode));
    expect(counts[401]).toBeLessThanOrEqual(25);
    expect(counts[429]).toBeGreaterThanOrEqual(75);
    const row = await ctx.db.kysely.selectFrom('login_codes').select('attempts').where('email', '=', email).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(5);
  });

  it('checks at most 5 of 20 concurrent wrong passwords from one address, and the owner still logs in from another', async () => {
    const p = await signUpPractitioner(ctx);
    const replies = await Promise.all(Array.from({ length: 20 }, () => logIn(ctx, p.email, 'wrong password!', '203.0.113.8')));
    const counts = statusCounts(replies.map((r) => r.statusCode));
    expect(counts[401]).toBe(5);
    expect(counts[429]).toBe(15);
    expect((await logIn(ctx, p.email, p.password, '203.0.113.8')).statusCode).toBe(429);
    expect((await logIn(ctx, p.email, p.password, '192.0.2.44')).statusCode).toBe(200);
  });

  it('caps wrong passwords for one account from many addresses at 4 times the per-address limit', async () => {
    const p = await signUpPractitioner(ctx);
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => logIn(ctx, p.email, 'wrong password!', `10.70.0.${i}`)));
    const counts = statusCounts(replies.map((r) => r.statusCode));
    expect(counts[401]).toBe(20);
    expect(counts[429]).toBe(20);
    expect((await logIn(ctx, p.email, p.password, '10.70.1.1')).statusCode).toBe(429);
  });
});
