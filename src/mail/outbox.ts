import type { Trx } from '../db/create-db.js';
import { iso } from '../domain/instants.js';
import { newId } from '../lib/ids.js';

export interface OutgoingMail {
  practiceId: string | null;
  /** The client the mail is about (their copy and the practitioner's): erasing the client blanks it. */
  clientId?: string | null;
  to: string;
  subject: string;
  text: string;
  html?: string | null;
  /** An iCalendar body sent as the invite part (METHOD taken from `icsMethod`). */
  ics?: string | null;
  icsMethod?: 'REQUEST' | 'CANCEL' | null;
  /**
   * Names the mail for a writer that may run twice (a job retried after a crash): the Message-ID is
   * derived from it and a second mail with the same key is not written.
   */
  key?: string;
}

export const MAIL_DOMAIN = 'tallybook.local';

/**
 * Mail is written in the transaction of the use case that causes it and sent after commit,
 * so a crash never loses a committed mail nor sends one for a rolled-back change.
 * The Message-ID is fixed here, so a resend after a crash is recognisably the same mail.
 */
export async function enqueueMail(trx: Trx, mail: OutgoingMail, now: Date): Promise<string> {
  const [id] = await enqueueMails(trx, [mail], now);
  return id as string;
}

/** Several mails of one use case in one statement (a booking writes the client's and each practitioner's copy). */
export async function enqueueMails(trx: Trx, mails: OutgoingMail[], now: Date): Promise<string[]> {
  const rows = mails.map((mail) => {
    const id = newId();
    return {
      id,
      practice_id: mail.practiceId,
      client_id: mail.clientId ?? null,
      message_id: `<${mail.key ?? id}@${MAIL_DOMAIN}>`,
      to_address: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html ?? null,
      ics: mail.ics ?? null,
      ics_method: mail.icsMethod ?? null,
      status: 'pending' as const,
      attempts: 0,
      next_attempt_at: iso(now),
      last_error: null,
      created_at: iso(now),
      sent_at: null,
    };
  });
  if (rows.length > 0) await trx.insertInto('mail_outbox').values(rows).onConflict((oc) => oc.column('message_id').doNothing()).execute();
  return rows.map((r) => r.id);
}
