import type { Kysely } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { Schema } from '../db/schema.js';
import type { StripeGateway } from '../payments/stripe.js';
import { processRefund, refundView } from './refunds.js';
import { purchaseView } from './views.js';

/** A refund and the purchase it pays back, as POST /purchases/{id}/refund answers; `reader` is the refund's transaction or `db.kysely`. */
export async function purchaseRefund(reader: Kysely<Schema> | Trx, refundId: string) {
  const refund = await reader.selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirstOrThrow();
  const purchase = await reader.selectFrom('purchases').selectAll().where('id', '=', refund.purchase_id!).executeTakeFirstOrThrow();
  return { purchase: purchaseView(purchase), refund: refundView(refund) };
}

/**
 * The step after the refund's commit, again on every replay: through Stripe (`gateway`) the money
 * moves, keyed on the refund so asking twice refunds once; then the refund as it now stands.
 */
export async function finishPurchaseRefund(db: Db, gateway: StripeGateway | null, refundId: string, now: Date) {
  if (gateway) await processRefund(db, gateway, refundId, now);
  return purchaseRefund(db.kysely, refundId);
}
