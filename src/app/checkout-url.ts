import type { Db } from '../db/create-db.js';
import type { StripeGateway } from '../payments/stripe.js';
import { openCheckout } from './checkouts.js';

/** What a Checkout is for: a purchase or a booking (its one Checkout), or a fee (the client's latest live one). */
export type CheckoutOf = { purchaseId: string } | { bookingId: string } | { feeId: string; clientId: string };

/** The Checkout URL of what was just bought, booked or paid, opening the Checkout if need be; null when there is none. */
export async function checkoutUrl(db: Db, gateway: StripeGateway, of: CheckoutOf, now: Date): Promise<string | null> {
  const checkouts = db.kysely.selectFrom('stripe_checkouts').select('id');
  const checkout =
    'feeId' in of
      ? await checkouts.where('fee_id', '=', of.feeId).where('client_id', '=', of.clientId).where('status', 'in', ['creating', 'open']).orderBy('created_at', 'desc').executeTakeFirst()
      : 'purchaseId' in of
        ? await checkouts.where('purchase_id', '=', of.purchaseId).executeTakeFirst()
        : await checkouts.where('booking_id', '=', of.bookingId).executeTakeFirst();
  return checkout ? openCheckout(db, gateway, checkout.id, now) : null;
}
