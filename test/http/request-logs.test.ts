import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { testConfig } from '../../src/config.js';
import { buildApp, type App } from '../../src/http/build-app.js';
import { latestMail, signUpPractitioner } from '../support/api.js';
import { TEST_START, type TestContext } from '../support/app.js';
import { DIALECTS, openTestDb } from '../support/databases.js';

const REDACTED = '[redacted]';

/** Every line the app's logger writes, parsed. */
class LogLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
  text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }
  urls(): string[] {
    return this.lines.flatMap((l) => (l.req && typeof (l.req as { url?: unknown }).url === 'string' ? [(l.req as { url: string }).url] : []));
  }
}

for (const dialect of DIALECTS) {
  describe(`request logs [${dialect}]`, () => {
    const ctx = { dialect } as TestContext;
    const logs = new LogLines();
    let drop: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      const opened = await openTestDb(dialect);
      drop = opened.drop;
      ctx.db = opened.db;
      ctx.databaseUrl = opened.url;
      ctx.clock = new FakeClock(TEST_START);
      ctx.config = testConfig({ databaseUrl: opened.url, logLevel: 'info' });
      ctx.app = await buildApp({ config: ctx.config, db: ctx.db, clock: ctx.clock, logStream: logs });
      await ctx.app.ready();
    });
    afterAll(async () => {
      await (ctx.app as App | undefined)?.close();
      await drop?.();
    });

    it('never writes a calendar feed’s secret path to the log', async () => {
      const p = await signUpPractitioner(ctx);
      const created = await ctx.app.inject({ method: 'POST', url: '/api/v1/calendar-feed', headers: p.headers });
      expect(created.statusCode).toBe(201);
      const path = new URL(created.json().url).pathname;
      const secret = /calendar-feed\/([^/]+)\.ics$/.exec(path)![1]!;
      expect((await ctx.app.inject({ method: 'GET', url: path })).statusCode).toBe(200);
      expect((await ctx.app.inject({ method: 'GET', url: `${path}?x=1` })).statusCode).toBe(200);

      expect(logs.urls()).toContain(`/api/v1/calendar-feed/${REDACTED}.ics`);
      expect(logs.urls()).toContain(`/api/v1/calendar-feed/${REDACTED}.ics?x=1`);
      expect(logs.text()).not.toContain(secret);
    });

    it('never writes a password-reset link’s token to the log', async () => {
      const p = await signUpPractitioner(ctx);
      await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: p.email } });
      const link = new URL(/(http\S+reset-password\S+)/.exec((await latestMail(ctx, p.email))!.text)![1]!);
      const token = link.searchParams.get('token')!;
      const page = await ctx.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
      expect(page.statusCode).toBeLessThan(500);

      expect(logs.urls()).toContain(`/reset-password?token=${REDACTED}`);
      expect(logs.text()).not.toContain(token);
      expect(logs.text()).not.toContain(encodeURIComponent(token));
    });

    it('redacts any token, code or secret query parameter and any Tallybook secret in a path, keeping the rest of the URL', async () => {
      const secrets = ['tbs_s3cretSessionValueThatMustNeverLeak000000', '918273', 'hunter2-is-my-secret', 'tbc_aClientSessionSecretInAPathSegment0000000'];
      const requests = [
        `/api/v1/nowhere?token=${secrets[0]}&page=2`,
        `/api/v1/nowhere?page=3&Code=${secrets[1]}`,
        `/api/v1/nowhere?secret=${secrets[2]}`,
        `/api/v1/nowhere/${secrets[3]}`,
      ];
      for (const url of requests) await ctx.app.inject({ method: 'GET', url });

      const urls = logs.urls();
      expect(urls).toContain(`/api/v1/nowhere?token=${REDACTED}&page=2`);
      expect(urls).toContain(`/api/v1/nowhere?page=3&Code=${REDACTED}`);
      expect(urls).toContain(`/api/v1/nowhere?secret=${REDACTED}`);
      expect(urls).toContain(`/api/v1/nowhere/${REDACTED}`);
      for (const secret of secrets) expect(logs.text()).not.toContain(secret);
    });

    it('still logs each request’s method, URL and address', async () => {
      await ctx.app.inject({ method: 'GET', url: '/healthz?verbose=1' });
      const line = logs.lines.find((l) => (l.req as { url?: string } | undefined)?.url === '/healthz?verbose=1');
      expect(line).toMatchObject({ msg: 'incoming request', req: { method: 'GET', url: '/healthz?verbose=1', remoteAddress: '127.0.0.1' } });
    });
  });
}
