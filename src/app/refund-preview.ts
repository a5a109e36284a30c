import type { Db } from '../db/create-db.js';
import { quoteRefund, type RefundInput, type RefundScope } from './refunds.js';
import { purchaseView } from './views.js';

/** What refunding a purchase would do (GET /purchases/{id}/refund): the pro-rata amount, and the upcoming bookings it needs cancelled. */
export async function refundPreview(db: Db, scope: RefundScope, input: RefundInput, now: Date) {
  const quote = await quoteRefund(db.kysely, scope, input, now);
  return {
    purchase: purchaseView(quote.purchase),
    refund: { amount: { amount: quote.amount, currency: quote.purchase.currency }, credits: quote.credits },
    refundableCredits: quote.refundableCredits,
    bookingsToCancel: quote.bookingsToCancel,
  };
}
