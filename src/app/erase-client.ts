import { sql } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { ClientRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import { expiryWarningJobKey, reminderJobKey } from './notify.js';
import { clientSearchText } from '../domain/search-text.js';
import { clientOfPractice } from './practitioner-credits.js';

export const ERASED_NAME = 'Erased client';
/** Ids per `IN (…)` list, well under SQLite's and PostgreSQL's limits on bound parameters. */
const ID_LIST_MAX = 500;

/**
 * Erases a client's personal data (DESIGN §3, privacy). Their name and email become a tombstone;
 * their sessions and sign-in codes end; every mail about them is blanked, their own copies and the
 * practitioner's alike (subject, text, HTML and the invite whose ATTENDEE names them), and what was
 * not sent yet never will be; their cancellation reasons are dropped; their pending reminders and
 * expiry warnings are cancelled; their sign-in rate-limit counter (keyed by email) goes.
 *
 * Kept, on purpose: the ledger, bookings, purchases and fees keep their amounts, so balances and
 * audits stay whole. Ledger entries are immutable (the database refuses UPDATE), so a reason a
 * *practitioner* typed into one (a grant "for Zelda, who referred two friends", an adjustment, a
 * waive, a no-show note, their own cancellation note) stays as written, as do the fee reasons that
 * mirror them; the practitioner is responsible for what they write there. A client's own words
 * never enter the ledger (`settleBooking` keeps them on the booking only), and no generated reason
 * names the client. Upcoming sessions must be cancelled first, so nobody is expected at a session
 * that no longer has a person.
 */
export async function eraseClient(db: Db, practiceId: string, clientId: string, now: Date): Promise<ClientRow> {
  return db.write(async (trx) => {
    const client = await clientOfPractice(trx, practiceId, clientId);
    await db.lockRow(trx, 'clients', client.id);
    const upcoming = await trx
      .selectFrom('bookings')
      .select('id')
      .where('practice_id', '=', practiceId)
      .where('client_id', '=', client.id)
      .where('status', 'in', ['confirmed', 'pending_payment'])
      .where('end_at', '>', iso(now))
      .executeTakeFirst();
    if (upcoming) throw new DomainError('conflict', 'this client has upcoming sessions; cancel them before erasing the client');
    const email = `erased-${client.id}@erased.invalid`;
    const tombstone = { name: ERASED_NAME, email, search_text: clientSearchText(ERASED_NAME, email) };
    await trx.updateTable('clients').set(tombstone).where('id', '=', client.id).execute();
    await trx.deleteFrom('sessions').where('client_id', '=', client.id).execute();
    await trx.deleteFrom('login_codes').where('practice_id', '=', practiceId).where('email', '=', client.email).execute();
    // Sign-in code counters (`requestLoginCode`) are keyed by practice and email, whatever the key's exact shape.
    await trx.deleteFrom('rate_limits').where(containing('bucket', practiceId)).where(containing('bucket', client.email)).execute();
    await blankMail(trx, practiceId, client, tombstone.email);
    // Stored answers of idempotent requests about the client (kept 24 h for replays) carry their
    // name or email, and always their id; a replay after the erasure is decided anew.
    await trx.deleteFrom('idempotency_keys').where(containing('response_json', client.id)).execute();
    await trx.updateTable('bookings').set({ cancel_reason: null }).where('practice_id', '=', practiceId).where('client_id', '=', client.id).where('cancel_reason', 'is not', null).execute();
    await cancelPendingJobs(trx, practiceId, client.id);
    return { ...client, ...tombstone };
  });
}

/** `column LIKE %text%` with the wildcards of `text` escaped (an email may hold `_`). */
function containing(column: string, text: string) {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`${sql.ref(column)} like ${pattern} escape '\\'`;
}

/**
 * Every mail about the client: rows that record them (whoever they went to) and, for mail written
 * before rows recorded their client or without one (a sign-in code), rows sent to their address.
 */
async function blankMail(trx: Trx, practiceId: string, client: ClientRow, tombstoneEmail: string): Promise<void> {
  const aboutClient = trx
    .updateTable('mail_outbox')
    .where('practice_id', '=', practiceId)
    .where((eb) => eb.or([eb('client_id', '=', client.id), eb('to_address', '=', client.email)]));
  await aboutClient.set({ status: 'cancelled' }).where('status', '=', 'pending').execute();
  await aboutClient.set({ client_id: client.id, subject: '(erased)', text: '(erased)', html: null, ics: null, last_error: null }).execute();
  await trx.updateTable('mail_outbox').set({ to_address: tombstoneEmail }).where('practice_id', '=', practiceId).where('to_address', '=', client.email).execute();
}

/** Reminders and expiry warnings not yet run: they would only mail the tombstone address, and fail. */
async function cancelPendingJobs(trx: Trx, practiceId: string, clientId: string): Promise<void> {
  const bookings = await trx.selectFrom('bookings').select(['id', 'sequence']).where('practice_id', '=', practiceId).where('client_id', '=', clientId).execute();
  const lots = await trx.selectFrom('lots').select('id').where('practice_id', '=', practiceId).where('client_id', '=', clientId).execute();
  // A rescheduled booking may still hold the reminder of an earlier sequence.
  const keys = [
    ...bookings.flatMap((b) => Array.from({ length: b.sequence + 1 }, (_, sequence) => reminderJobKey(b.id, sequence))),
    ...lots.map((l) => expiryWarningJobKey(l.id)),
  ];
  for (let i = 0; i < keys.length; i += ID_LIST_MAX) {
    await trx.deleteFrom('jobs').where('status', '=', 'pending').where('dedupe_key', 'in', keys.slice(i, i + ID_LIST_MAX)).execute();
  }
}
