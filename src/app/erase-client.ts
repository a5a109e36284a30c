import type { Db } from '../db/create-db.js';
import type { ClientRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import { clientSearchText } from '../domain/search-text.js';
import { clientOfPractice } from './practitioner-credits.js';

export const ERASED_NAME = 'Erased client';

/**
 * Erases a client's personal data (DESIGN §3, privacy): name and email become a tombstone, their
 * sessions and sign-in codes end, and mail kept for them is blanked. The ledger, bookings, purchases
 * and fees keep their amounts, so balances and audits stay whole. Upcoming sessions must be
 * cancelled first, so nobody is expected at a session that no longer has a person.
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
    await trx
      .updateTable('mail_outbox')
      .set({ to_address: tombstone.email, subject: '(erased)', text: '(erased)', html: null, ics: null })
      .where('practice_id', '=', practiceId)
      .where('to_address', '=', client.email)
      .execute();
    return { ...client, ...tombstone };
  });
}
