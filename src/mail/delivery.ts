import type { Transporter } from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { Kysely } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { MailOutboxRow, Schema } from '../db/schema.js';
import { iso, MINUTE_MS } from '../domain/instants.js';
import { retryDelayMs } from '../domain/retry.js';

const BATCH_SIZE = 20;
const ATTEMPTS_MAX = 10;
/** While one process sends a mail, others leave it alone for this long. */
const CLAIM_LEASE_MS = 2 * MINUTE_MS;

export interface MailDelivery {
  /** Sends (or, without SMTP, keeps) every mail that is due; returns how many were handled. */
  deliverDue(): Promise<number>;
  /** Asks for a delivery round soon; calls arriving together share one round. */
  kick(): void;
  /** Resolves when no round is running or asked for (tests wait on it). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The two moments a crash must not lose a mail: claimed but not sent, and accepted by SMTP but not yet marked sent. */
export type FaultPoint = 'claimed' | 'accepted';

export function createMailDelivery(options: {
  db: Db;
  clock: Clock;
  smtpUrl: string | null;
  from: string;
  log: FastifyBaseLogger;
  /** Tests only: called at each fault point, e.g. to kill the process there. */
  fault?: (point: FaultPoint) => void;
}): MailDelivery {
  const { db, clock, from, log } = options;
  const { smtpUrl } = options;
  // nodemailer is loaded with the first round that has mail to send, not at start-up.
  let transportLoad: Promise<Transporter> | null = null;
  const smtpTransport = (url: string) => (transportLoad ??= import('nodemailer').then((m) => m.default.createTransport(url)));
  let running: Promise<unknown> = Promise.resolve();
  let pending = false;

  /** Up to BATCH_SIZE due mails, oldest due first. */
  const dueMails = (now: Date) =>
    db.kysely
      .selectFrom('mail_outbox')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', iso(now))
      .orderBy('next_attempt_at')
      .limit(BATCH_SIZE);

  /** Claims one mail: only the process whose conditional update lands sends it now. */
  async function claim(executor: Kysely<Schema> | Trx, mail: MailOutboxRow | undefined, now: Date): Promise<boolean> {
    if (!mail) return false;
    const claimed = await executor
      .updateTable('mail_outbox')
      .set({ next_attempt_at: iso(now.getTime() + CLAIM_LEASE_MS) })
      .where('id', '=', mail.id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', mail.next_attempt_at)
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  }

  async function deliverDue(): Promise<number> {
    const now = clock.now();
    if (!smtpUrl) {
      // Nothing to send: the due mails are kept in one statement (one commit, not two per mail).
      const kept = await db.kysely
        .updateTable('mail_outbox')
        .set({ status: 'kept' })
        .where('id', 'in', dueMails(now).select('id'))
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(kept.numUpdatedRows);
    }
    const due = await dueMails(now).selectAll().execute();
    if (due.length === 0) return 0;
    const transport = await smtpTransport(smtpUrl);
    let handled = 0;
    // One mail is claimed at a time, just before it is sent, so a crash strands at most one behind
    // its lease; marking a mail sent and claiming the next share one commit.
    let claimed = await claim(db.kysely, due[0], now);
    for (const [i, mail] of due.entries()) {
      const next = due[i + 1];
      if (!claimed) {
        claimed = await claim(db.kysely, next, now);
        continue;
      }
      try {
        options.fault?.('claimed');
        await transport.sendMail({
          messageId: mail.message_id,
          from,
          to: mail.to_address,
          subject: mail.subject,
          text: mail.text,
          ...(mail.html ? { html: mail.html } : {}),
          ...(mail.ics ? { icalEvent: { method: mail.ics_method ?? 'REQUEST', content: mail.ics } } : {}),
        });
        options.fault?.('accepted');
        claimed = await db.write(async (trx) => {
          await trx.updateTable('mail_outbox').set({ status: 'sent', sent_at: iso(clock.now()) }).where('id', '=', mail.id).execute();
          return claim(trx, next, now);
        });
        handled++;
      } catch (error) {
        const attempts = mail.attempts + 1;
        const backoffMs = retryDelayMs(attempts, 60 * MINUTE_MS);
        log.warn({ err: error, mailId: mail.id, attempts }, 'mail delivery failed');
        await db.kysely
          .updateTable('mail_outbox')
          .set({
            attempts,
            status: attempts >= ATTEMPTS_MAX ? 'failed' : 'pending',
            next_attempt_at: iso(clock.now().getTime() + backoffMs),
            last_error: String(error).slice(0, 1000),
          })
          .where('id', '=', mail.id)
          .execute();
        claimed = await claim(db.kysely, next, now);
      }
    }
    return handled;
  }

  function kick(): void {
    if (pending) return;
    pending = true;
    running = running.then(async () => {
      pending = false;
      try {
        await deliverDue();
      } catch (error) {
        log.error({ err: error }, 'mail delivery round failed');
      }
    });
  }

  return {
    deliverDue,
    kick,
    idle: async () => {
      while (pending) await running;
      await running;
    },
    close: async () => {
      await running;
      (await transportLoad)?.close();
    },
  };
}
