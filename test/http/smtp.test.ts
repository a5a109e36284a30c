import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { testConfig } from '../../src/config.js';
import type { Db } from '../../src/db/create-db.js';
import { buildApp, type App } from '../../src/http/build-app.js';
import { signUpPractitioner } from '../support/api.js';
import { DIALECTS, openTestDb } from '../support/databases.js';
import { startSmtpReceiver, type SmtpReceiver } from '../support/smtp-receiver.js';
import type { TestContext } from '../support/app.js';

for (const dialect of DIALECTS) {
  describe(`mail over SMTP [${dialect}]`, () => {
    const ctx = { dialect } as TestContext;
    let smtp: SmtpReceiver;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      smtp = await startSmtpReceiver();
      const opened = await openTestDb(dialect);
      drop = opened.drop;
      ctx.db = opened.db as Db;
      ctx.clock = new FakeClock('2026-03-02T08:00:00.000Z');
      ctx.config = testConfig({ databaseUrl: opened.url, smtpUrl: smtp.url, publicUrl: 'https://book.example.com' });
      ctx.app = (await buildApp({ config: ctx.config, db: ctx.db, clock: ctx.clock })) as App;
    });
    afterAll(async () => {
      await ctx.app.close();
      await smtp.close();
      await drop();
    });

    it('sends the password reset link through SMTP, with a stable Message-ID, and marks it sent', async () => {
      const p = await signUpPractitioner(ctx);
      expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: p.email } })).statusCode).toBe(202);
      await ctx.app.deps.mail.idle();
      const [mail] = await smtp.waitFor(1);
      expect(mail!.to).toMatchObject({ text: p.email });
      expect(mail!.subject).toBe('Reset your Tallybook password');
      expect(mail!.text).toMatch(/https:\/\/book\.example\.com\/reset-password\?token=tbr_/);
      const row = await ctx.db.kysely.selectFrom('mail_outbox').selectAll().where('to_address', '=', p.email).executeTakeFirstOrThrow();
      expect(row.status).toBe('sent');
      expect(mail!.messageId).toBe(row.message_id);
    });

    it('mails a client the sign-in code whose subject carries "code: NNNNNN"', async () => {
      const p = await signUpPractitioner(ctx);
      const before = smtp.mails.length;
      await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${p.practice.slug}/auth/code`, payload: { email: 'sam@example.com' } });
      await ctx.app.deps.mail.idle();
      const mails = await smtp.waitFor(before + 1);
      const code = /code: (\d{6})/.exec(mails.at(-1)!.subject ?? '')?.[1];
      expect(code).toMatch(/^\d{6}$/);
      const verified = await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${p.practice.slug}/auth/verify`, payload: { email: 'sam@example.com', code } });
      expect(verified.statusCode).toBe(200);
    });
  });
}
