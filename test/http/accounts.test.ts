import { describe, expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';
import { latestMail, sessionCookie, signUpPractitioner, unique } from '../support/api.js';

describeEachDialect('practitioner accounts', (ctx) => {
  it('signs up a practitioner with a practice and the default policy, and sets an HttpOnly SameSite session cookie', async () => {
    const slug = unique('studio-');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      payload: { email: `${slug}@Example.com`, password: 'a long enough password', name: 'Dana', practiceName: 'Dana Studio', slug, timeZone: 'Europe/Berlin', currency: 'EUR' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().practice).toMatchObject({
      name: 'Dana Studio',
      slug,
      timeZone: 'Europe/Berlin',
      currency: 'EUR',
      policy: { windowHours: 24, lateCancel: 'forfeit', noShow: 'forfeit', lateCancelFee: null, noShowFee: null, clientReschedule: true, blockBookingWhileFeeOwed: false },
    });
    expect(res.json().user.email).toBe(`${slug}@example.com`);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/tb_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const session = await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: sessionCookie(res.headers['set-cookie'], 'tb_session') } });
    expect(session.statusCode).toBe(200);
    expect(session.json().practice.slug).toBe(slug);
  });

  it('stores passwords as argon2id hashes and session ids only as sha256 hashes', async () => {
    const p = await signUpPractitioner(ctx);
    const user = await ctx.db.kysely.selectFrom('users').selectAll().where('id', '=', p.user.id).executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    const secret = p.cookie.split('=')[1]!;
    const sessions = await ctx.db.kysely.selectFrom('sessions').select('token_hash').where('user_id', '=', p.user.id).execute();
    expect(sessions.map((s) => s.token_hash)).not.toContain(secret);
    expect(sessions[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  describe('slugs', () => {
    it.each([['ab'], ['-abc'], ['abc-'], ['Abc'], ['a_b_c'], ['x'.repeat(41)]])('refuses the malformed slug %s', async (slug) => {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/signup', payload: { email: `${unique('s')}@example.com`, password: 'a long enough password', name: 'D', practiceName: 'P', slug, timeZone: 'UTC' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('validation_failed');
    });
    it.each([['app'], ['api'], ['dev'], ['assets'], ['login'], ['signup'], ['healthz']])('refuses the reserved slug %s', async (slug) => {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/signup', payload: { email: `${unique('s')}@example.com`, password: 'a long enough password', name: 'D', practiceName: 'P', slug, timeZone: 'UTC' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].path).toBe('/slug');
    });
    it('refuses a taken slug or email with 409 conflict', async () => {
      const p = await signUpPractitioner(ctx);
      const again = await ctx.app.inject({ method: 'POST', url: '/api/v1/signup', payload: { email: `${unique('s')}@example.com`, password: 'a long enough password', name: 'D', practiceName: 'P', slug: p.practice.slug, timeZone: 'UTC' } });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('conflict');
      const sameEmail = await ctx.app.inject({ method: 'POST', url: '/api/v1/signup', payload: { email: p.email, password: 'a long enough password', name: 'D', practiceName: 'P', slug: unique('s-'), timeZone: 'UTC' } });
      expect(sameEmail.statusCode).toBe(409);
    });
  });

  it('refuses an unknown time zone and currency', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/signup', payload: { email: `${unique('s')}@example.com`, password: 'a long enough password', name: 'D', practiceName: 'P', slug: unique('s-'), timeZone: 'Mars/Olympus', currency: 'XYZ' } });
    expect(res.statusCode).toBe(400);
  });

  it('reports every invalid field at once and does not coerce types', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/signup', payload: { email: 'not-an-email', password: 123, name: '', extra: true } });
    expect(res.statusCode).toBe(400);
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/email', '/password', '/name', '/practiceName', '/slug', '/timeZone', '/extra']));
  });

  it('logs in, rotating the session, and logs out', async () => {
    const p = await signUpPractitioner(ctx);
    const login = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { cookie: p.cookie }, payload: { email: p.email, password: p.password } });
    expect(login.statusCode).toBe(200);
    const fresh = sessionCookie(login.headers['set-cookie'], 'tb_session');
    expect(fresh).not.toBe(p.cookie);
    // The session known before login no longer works.
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: p.cookie } })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: fresh } })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: fresh } })).statusCode).toBe(204);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: fresh } })).statusCode).toBe(401);
  });

  it('answers a wrong password with 401 and anonymous callers with 401', async () => {
    const p = await signUpPractitioner(ctx);
    const wrong = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: 'wrong password!' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('unauthenticated');
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session' })).statusCode).toBe(401);
  });

  it('refuses a cookie-authenticated write from a foreign Origin, but not from our own or without Origin', async () => {
    const p = await signUpPractitioner(ctx);
    const foreign = await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: p.cookie, origin: 'https://evil.example' }, payload: { name: 'x' } });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('forbidden');
    const own = await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: p.cookie, origin: ctx.config.publicUrl }, payload: { name: 'x' } });
    expect(own.statusCode).toBe(201);
    const none = await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: p.cookie }, payload: { name: 'y' } });
    expect(none.statusCode).toBe(201);
  });

  it('issues bearer tokens shown once, stored hashed, listed and revocable', async () => {
    const p = await signUpPractitioner(ctx);
    const created = await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: p.headers, payload: { name: 'zapier' } });
    expect(created.statusCode).toBe(201);
    const { id, token } = created.json();
    const bearer = { authorization: `Bearer ${token}` };
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: bearer })).statusCode).toBe(200);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: p.headers });
    expect(list.json().items).toEqual([expect.objectContaining({ id, name: 'zapier' })]);
    expect(JSON.stringify(list.json())).not.toContain(token);
    const stored = await ctx.db.kysely.selectFrom('api_tokens').select('token_hash').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toBe(token);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: p.headers })).statusCode).toBe(204);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: bearer })).statusCode).toBe(401);
  });

  it('records when an API token was last used, to the minute, without a write on every request', async () => {
    const p = await signUpPractitioner(ctx);
    const { id, token } = (await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: p.headers, payload: { name: 'sync' } })).json();
    const use = () => ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { authorization: `Bearer ${token}` } });
    const lastUsed = async () => (await ctx.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: p.headers })).json().items.find((t: { id: string }) => t.id === id).lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await use();
    const first = ctx.clock.now().toISOString();
    expect(await lastUsed()).toBe(first);
    ctx.clock.advance(59_000);
    await use();
    expect(await lastUsed()).toBe(first);
    ctx.clock.advance(1_000);
    await use();
    expect(await lastUsed()).toBe(ctx.clock.now().toISOString());
  });

  it('resets a password with a mailed one-time link that expires in an hour', async () => {
    const p = await signUpPractitioner(ctx);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: p.email } });
    expect(res.statusCode).toBe(202);
    const mail = await latestMail(ctx, p.email);
    const token = decodeURIComponent(/token=([^\s]+)/.exec(mail!.text)![1]!);
    const confirm = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { token, password: 'a brand new password' } });
    expect(confirm.statusCode).toBe(200);
    const reuse = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { token, password: 'another new password' } });
    expect(reuse.statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: 'a brand new password' } })).statusCode).toBe(200);
    // Sessions from before the reset are gone.
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: p.headers })).statusCode).toBe(401);

    await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: p.email } });
    const late = decodeURIComponent(/token=([^\s]+)/.exec((await latestMail(ctx, p.email))!.text)![1]!);
    ctx.clock.advance(61 * 60_000);
    const expired = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { token: late, password: 'too late password' } });
    expect(expired.statusCode).toBe(400);
  });

  it('revokes the user’s API tokens on a password reset, as a leaked token must not outlive it', async () => {
    const p = await signUpPractitioner(ctx);
    const other = await signUpPractitioner(ctx);
    const token = async (who: typeof p) => (await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: who.headers, payload: { name: 'script' } })).json().token as string;
    const mine = await token(p);
    const theirs = await token(other);
    const session = (bearer: string) => ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { authorization: `Bearer ${bearer}` } });
    expect((await session(mine)).statusCode).toBe(200);

    await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: p.email } });
    const link = decodeURIComponent(/token=([^\s]+)/.exec((await latestMail(ctx, p.email))!.text)![1]!);
    const confirm = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { token: link, password: 'a brand new password' } });
    expect(confirm.statusCode).toBe(200);

    expect(mine.startsWith('tbp_')).toBe(true);
    expect((await session(mine)).statusCode).toBe(401);
    expect((await session(theirs)).statusCode).toBe(200);
    const login = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: 'a brand new password' } });
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: { cookie: sessionCookie(login.headers['set-cookie'], 'tb_session') } });
    expect(list.json().items).toEqual([]);
  });

  it('answers a reset request for an unknown email the same way, sending nothing', async () => {
    const email = `${unique('nobody')}@example.com`;
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email } });
    expect(res.statusCode).toBe(202);
    expect(await latestMail(ctx, email)).toBeUndefined();
  });
});

describeEachDialect(
  'login rate limits',
  (ctx) => {
    it('locks an account from one address after 5 failures in 15 minutes with Retry-After, counted in the database', async () => {
      const p = await signUpPractitioner(ctx);
      for (let i = 0; i < 5; i++) {
        const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: 'wrong password!' }, remoteAddress: '10.0.0.1' });
        expect(res.statusCode).toBe(401);
      }
      const locked = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: p.password }, remoteAddress: '10.0.0.1' });
      expect(locked.statusCode).toBe(429);
      expect(locked.json().code).toBe('rate_limited');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      ctx.clock.advance(15 * 60_000);
      const later = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: p.password }, remoteAddress: '10.0.0.1' });
      expect(later.statusCode).toBe(200);
    });

    it('does not let failures from other addresses lock the owner out, up to 4 times the per-address limit', async () => {
      const p = await signUpPractitioner(ctx);
      for (let i = 0; i < 5; i++) {
        const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: 'wrong password!' }, remoteAddress: `10.0.2.${i}` });
        expect(res.statusCode).toBe(401);
      }
      const owner = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: p.password }, remoteAddress: '10.0.3.1' });
      expect(owner.statusCode).toBe(200);
      for (let i = 5; i < 20; i++) {
        await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: 'wrong password!' }, remoteAddress: `10.0.2.${i}` });
      }
      const everywhere = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: p.password }, remoteAddress: '10.0.3.1' });
      expect(everywhere.statusCode).toBe(429);
    });

    it('limits failures per IP, where successes do not count', async () => {
      const p = await signUpPractitioner(ctx);
      for (let i = 0; i < 10; i++) {
        const ok = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: p.password }, remoteAddress: '10.9.9.9' });
        expect(ok.statusCode).toBe(200);
      }
      for (let i = 0; i < 8; i++) {
        await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: `${unique('x')}@example.com`, password: 'nope nope nope' }, remoteAddress: '10.9.9.9' });
      }
      const blocked = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: p.password }, remoteAddress: '10.9.9.9' });
      expect(blocked.statusCode).toBe(429);
      const elsewhere = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: p.password }, remoteAddress: '10.9.9.10' });
      expect(elsewhere.statusCode).toBe(200);
    });
  },
  { config: { rateLimitIpPerMin: 8 } },
);
