import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { createMailDelivery } from '../../src/mail/delivery.js';
import { describeEachDialect, TEST_START, type TestContext } from '../support/app.js';
import { recipients } from '../support/mail.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';
import { startSmtpReceiver } from '../support/smtp-receiver.js';

const smtp = await startSmtpReceiver();
afterAll(() => smtp.close());

const CHILD = path.resolve('dist/test/support/mail-crash-child.js');
const LEASE_MS = 2 * 60_000;

/** Runs the child server process until it is killed at `crashAt`; resolves with how it ended. */
function runChild(ctx: TestContext, crashAt: 'claimed' | 'accepted', request: { url: string; cookie: string; payload: object }) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, DATABASE_URL: ctx.databaseUrl, SMTP_URL: smtp.url, NOW: ctx.clock.now().toISOString(), CRASH_AT: crashAt, REQUEST: JSON.stringify(request) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, output }));
  });
}

/** One round of a fresh delivery, as a restarted server would build it, against the same database; how many mails it handled. */
async function deliverAfterRestart(ctx: TestContext, at: number): Promise<number> {
  const delivery = createMailDelivery({ db: ctx.db, clock: new FakeClock(new Date(at)), smtpUrl: smtp.url, from: ctx.config.mailFrom, log: ctx.app.log });
  try {
    return await delivery.deliverDue();
  } finally {
    await delivery.close();
  }
}

describeEachDialect(
  'mail survives a crash of the process that committed it',
  (ctx) => {
    afterEach(() => expectInvariants(ctx));

    async function bookingRequest() {
      const { practitioner, service, pkg } = await setUpPractice(ctx);
      const client = await signInClient(ctx, practitioner.practice.slug);
      expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/me/purchases', headers: client.headers, payload: { packageId: pkg.id } })).statusCode).toBe(201);
      await ctx.app.deps.mail.idle();
      const [start] = await slotStarts(ctx, practitioner.practice.slug, service.id, '2026-03-03', '2026-03-03');
      return { practitioner, client, request: { url: '/api/v1/me/bookings', cookie: client.cookie, payload: { serviceId: service.id, start } } };
    }

    const bookingMails = (addresses: string[]) => smtp.mails.filter((m) => recipients(m).some((r) => addresses.includes(r)) && /^(Booked|New booking):/.test(m.subject ?? ''));
    const outboxRows = (addresses: string[]) =>
      ctx.db.kysely
        .selectFrom('mail_outbox')
        .select(['message_id', 'status', 'to_address'])
        .where('to_address', 'in', addresses)
        .where((eb) => eb.or([eb('subject', 'like', 'Booked:%'), eb('subject', 'like', 'New booking:%')]))
        .orderBy('to_address')
        .execute();

    it('is sent by a fresh process when the first is killed after commit, before sending (the claim’s lease runs out first)', async () => {
      const { practitioner, client, request } = await bookingRequest();
      const addresses = [client.email, practitioner.email];
      const died = await runChild(ctx, 'claimed', request);
      expect(died.signal, died.output).toBe('SIGKILL');

      // The booking and both of its mails were committed; nothing reached the SMTP server.
      const booking = await ctx.db.kysely.selectFrom('bookings').select('status').where('client_id', '=', client.id).executeTakeFirstOrThrow();
      expect(booking.status).toBe('confirmed');
      expect((await outboxRows(addresses)).map((r) => r.status)).toEqual(['pending', 'pending']);
      expect(bookingMails(addresses)).toHaveLength(0);

      // Restarted at once, the delivery sends the mail nobody had claimed, and leaves the claimed one to its lease.
      const now = Date.parse(TEST_START);
      expect(await deliverAfterRestart(ctx, now)).toBeGreaterThanOrEqual(1);
      expect(bookingMails(addresses)).toHaveLength(1);
      // Once the lease has run out, the claimed one goes too: each mail arrives exactly once here.
      await deliverAfterRestart(ctx, now + LEASE_MS + 1);
      const rows = await outboxRows(addresses);
      expect(rows.map((r) => r.status)).toEqual(['sent', 'sent']);
      const received = bookingMails(addresses);
      expect(received.map((m) => m.messageId).sort()).toEqual(rows.map((r) => r.message_id).sort());
    });

    it('is sent again, with the same Message-ID, when the process is killed after the SMTP server accepted it', async () => {
      const { practitioner, client, request } = await bookingRequest();
      const addresses = [client.email, practitioner.email];
      const died = await runChild(ctx, 'accepted', request);
      expect(died.signal, died.output).toBe('SIGKILL');

      const [first] = bookingMails(addresses);
      expect(bookingMails(addresses)).toHaveLength(1);
      expect((await outboxRows(addresses)).map((r) => r.status)).toEqual(['pending', 'pending']); // accepted, but never marked sent

      await deliverAfterRestart(ctx, Date.parse(TEST_START) + LEASE_MS + 1);
      const rows = await outboxRows(addresses);
      expect(rows.map((r) => r.status)).toEqual(['sent', 'sent']);
      const received = bookingMails(addresses);
      expect(received).toHaveLength(3);
      const again = received.filter((m) => m.messageId === first!.messageId);
      expect(again).toHaveLength(2); // at least once: the receiver can tell the resend by its Message-ID
      expect(again[1]!.subject).toBe(first!.subject);
      expect(new Set(received.map((m) => m.messageId))).toEqual(new Set(rows.map((r) => r.message_id)));
    });
  },
  { config: { smtpUrl: smtp.url } },
);
