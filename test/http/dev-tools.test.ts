import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startSession } from '../../src/app/sessions.js';
import { describeEachDialect } from '../support/app.js';
import { setUpPractice } from '../support/scenario.js';

describe('dev tools fail closed', () => {
  it.each([
    ['a fresh clone: NODE_ENV unset, loopback, local public URL', {}, 'implicit'],
    ['NODE_ENV unset, loopback, 127.0.0.1 public URL', { PUBLIC_URL: 'http://127.0.0.1:3000' }, 'implicit'],
    ['NODE_ENV=development, even on every address', { NODE_ENV: 'development', HOST: '0.0.0.0' }, 'explicit'],
    ['NODE_ENV=test', { NODE_ENV: 'test' }, 'explicit'],
    ['NODE_ENV unset, listening on every address', { HOST: '0.0.0.0' }, false],
    ['NODE_ENV unset, listening on a LAN address', { HOST: '192.168.1.20' }, false],
    ['NODE_ENV unset behind a proxy with a public URL', { PUBLIC_URL: 'https://book.example.com' }, false],
    ['NODE_ENV unset with a public http URL', { PUBLIC_URL: 'http://book.example.com' }, false],
    ['NODE_ENV unset with an https localhost URL', { PUBLIC_URL: 'https://localhost:3000' }, false],
    ['NODE_ENV=production', { NODE_ENV: 'production' }, false],
    ['NODE_ENV=staging', { NODE_ENV: 'staging' }, false],
  ])('%s → dev tools %s', (_title, env, expected) => {
    expect(loadConfig(env as NodeJS.ProcessEnv).devTools).toBe(expected);
  });
});

describeEachDialect(
  'with NODE_ENV unset behind a proxy (PUBLIC_URL public)',
  (ctx) => {
    it('hides the outbox and refuses the dev payment provider', async () => {
      expect(ctx.config.devTools).toBe(false);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' })).statusCode).toBe(404);
      const setup = await setUpPractice(ctx);
      const client = (await ctx.app.inject({ method: 'POST', url: '/api/v1/clients', headers: setup.practitioner.headers, payload: { email: 'proxy@example.com', name: 'Proxy' } })).json();
      const token = await ctx.db.write((trx) => startSession(trx, { kind: 'client', practiceId: setup.practitioner.practice.id, clientId: client.id }, ctx.clock.now()));
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/purchases', headers: { authorization: `Bearer ${token}` }, payload: { packageId: setup.pkg.id } });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('payments_not_configured');
      expect(await ctx.db.kysely.selectFrom('lots').selectAll().execute()).toEqual([]);
    });
  },
  { config: { ...loadConfig({ PUBLIC_URL: 'https://book.example.com' }), logLevel: 'silent', runJobs: false } },
);

describeEachDialect(
  'with dev tools on by default (NODE_ENV unset)',
  (ctx) => {
    it('never answers the outbox to a forwarded request', async () => {
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' })).statusCode).toBe(200);
      const forwarded = await ctx.app.inject({ method: 'GET', url: '/api/v1/dev/outbox', headers: { 'x-forwarded-for': '203.0.113.5' } });
      expect(forwarded.statusCode).toBe(404);
      expect(forwarded.json().code).toBe('not_found');
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/dev/outbox', headers: { forwarded: 'for=203.0.113.5' } })).statusCode).toBe(404);
    });
  },
  { config: { devTools: 'implicit' } },
);

describeEachDialect('with dev tools asked for (NODE_ENV=test)', (ctx) => {
  it('answers the outbox to a forwarded request too', async () => {
    const forwarded = await ctx.app.inject({ method: 'GET', url: '/api/v1/dev/outbox', headers: { 'x-forwarded-for': '203.0.113.5' } });
    expect(forwarded.statusCode).toBe(200);
  });
});
