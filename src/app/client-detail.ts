import type { Db } from '../db/create-db.js';
import { balanceOf } from './balances.js';
import { clientOfPractice } from './practitioner-credits.js';
import { bookingWithReasonView, clientView, feeView, ledgerEntryView, lotView, purchaseView } from './views.js';

/** The newest ledger entries a client's page shows. */
export const LEDGER_HISTORY_MAX = 500;

/** A client of the practice with lots, bookings, purchases, fees and the ledger (newest first); `not_found` if not theirs. */
export async function clientDetail(db: Db, practiceId: string, clientId: string, now: Date) {
  const kysely = db.kysely;
  const client = await clientOfPractice(kysely, practiceId, clientId);
  const { lots, credits } = await balanceOf(kysely, practiceId, client.id, now);
  const [bookings, purchases, fees, ledger] = await Promise.all([
    kysely.selectFrom('bookings as b').innerJoin('services as s', 's.id', 'b.service_id').selectAll('b').select('s.name as service_name').where('b.practice_id', '=', practiceId).where('b.client_id', '=', client.id).orderBy('b.start_at', 'desc').execute(),
    kysely.selectFrom('purchases').selectAll().where('practice_id', '=', practiceId).where('client_id', '=', client.id).orderBy('created_at', 'desc').execute(),
    kysely.selectFrom('fees').selectAll().where('practice_id', '=', practiceId).where('client_id', '=', client.id).orderBy('created_at', 'desc').execute(),
    kysely.selectFrom('ledger_entries').selectAll().where('practice_id', '=', practiceId).where('client_id', '=', client.id).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(LEDGER_HISTORY_MAX).execute(),
  ]);
  return {
    ...clientView(client, credits),
    lots: lots.map(lotView),
    bookings: bookings.map((b) => bookingWithReasonView(b, b.service_name)),
    purchases: purchases.map(purchaseView),
    fees: fees.map(feeView),
    ledger: ledger.map(ledgerEntryView),
  };
}
