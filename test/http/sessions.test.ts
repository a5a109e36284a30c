import { expect, it } from 'vitest';
import { latestMail, sessionCookie, signUpPractitioner, unique } from '../support/api.js';
import { describeEachDialect, type TestContext } from '../support/app.js';

/** Signs a client in by code, sending `cookie` if given (the browser's current client cookie). */
async function clientSignIn(ctx: TestContext, slug: string, email: string, cookie?: string) {
  await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/code`, payload: { email } });
  const code = /code: (\d{6})/.exec((await latestMail(ctx, email))!.subject)![1]!;
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/verify`, headers: cookie ? { cookie } : {}, payload: { email, code } });
  expect(res.statusCode).toBe(200);
  return { cookie: sessionCookie(res.headers['set-cookie'], 'tb_client'), token: res.json().token as string };
}

describeEachDialect('ending sessions', (ctx) => {
  const me = (headers: Record<string, string>) => ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers });
  const practitionerSession = (headers: Record<string, string>) => ctx.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers });

  it('ends the client session a browser had when the client signs in again', async () => {
    const p = await signUpPractitioner(ctx);
    const email = `${unique('again')}@example.com`;
    const first = await clientSignIn(ctx, p.practice.slug, email);
    const second = await clientSignIn(ctx, p.practice.slug, email, first.cookie);
    expect(second.cookie).not.toBe(first.cookie);
    expect((await me({ cookie: first.cookie })).statusCode).toBe(401);
    expect((await me({ cookie: second.cookie })).statusCode).toBe(200);
  });

  it('ends a client’s bearer session on /me/logout, with or without a cookie beside it', async () => {
    const p = await signUpPractitioner(ctx);
    const phone = await clientSignIn(ctx, p.practice.slug, `${unique('bearer')}@example.com`);
    const browser = await clientSignIn(ctx, p.practice.slug, `${unique('both')}@example.com`);
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/me/logout', headers: bearer(phone.token) })).statusCode).toBe(204);
    expect((await me(bearer(phone.token))).statusCode).toBe(401);

    const other = await clientSignIn(ctx, p.practice.slug, `${unique('other')}@example.com`);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/me/logout', headers: { cookie: browser.cookie, ...bearer(other.token) } })).statusCode).toBe(204);
    expect((await me({ cookie: browser.cookie })).statusCode).toBe(401);
    expect((await me(bearer(other.token))).statusCode).toBe(401);
  });

  it('ends a practitioner’s bearer session on /auth/logout, but leaves their API tokens alone', async () => {
    const p = await signUpPractitioner(ctx);
    const sessionSecret = p.cookie.split('=')[1]!;
    const apiToken = (await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: p.headers, payload: { name: 'script' } })).json().token as string;
    const bearer = { authorization: `Bearer ${sessionSecret}` };
    expect((await practitionerSession(bearer)).statusCode).toBe(200);

    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer })).statusCode).toBe(204);
    expect((await practitionerSession(bearer)).statusCode).toBe(401);
    expect((await practitionerSession({ cookie: p.cookie })).statusCode).toBe(401);

    // An API token is not a session: logging out with it ends nothing, and it keeps working until revoked.
    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${apiToken}` } })).statusCode).toBe(204);
    expect((await practitionerSession({ authorization: `Bearer ${apiToken}` })).statusCode).toBe(200);
  });
});
