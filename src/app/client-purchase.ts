import type { Db } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { purchaseView } from './views.js';

/** One of a client's purchases; `not_found` when it is not theirs. */
export async function clientPurchase(db: Db, practiceId: string, clientId: string, purchaseId: string) {
  const purchase = await db.kysely
    .selectFrom('purchases')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('client_id', '=', clientId)
    .where('id', '=', purchaseId)
    .executeTakeFirst();
  if (!purchase) throw new DomainError('not_found', 'no such purchase');
  return purchaseView(purchase);
}
