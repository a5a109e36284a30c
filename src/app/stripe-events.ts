import type { Db, Trx } from '../db/create-db.js';
import { iso } from '../domain/instants.js';
import { PaymentProviderError, type StripeEvent, type StripeGateway } from '../payments/stripe.js';
import { DomainError } from '../domain/errors.js';
import { reconcileChargeRefunds } from './refunds.js';
import { findCheckout, settleCheckoutPaid, settleCheckoutUnpaid } from './checkouts.js';
import type { MailSettings } from './notify.js';

export type EventOutcome = 'processed' | 'duplicate' | 'ignored';

export interface EventResult {
  outcome: EventOutcome;
  /** Refunds decided while acting on the event, to be made (a call to Stripe) after commit. */
  refundIds: string[];
}

interface Deps {
  db: Db;
  gateway: StripeGateway;
  settings: MailSettings;
}

const IGNORED: EventResult = { outcome: 'ignored', refundIds: [] };
const DUPLICATE: EventResult = { outcome: 'duplicate', refundIds: [] };

/**
 * Acts on one verified Stripe event. Its id is recorded in the transaction that acts on it (unique,
 * so a redelivery — however late, however concurrent — does nothing), and what it does is
 * conditional on the state it finds, so events about one payment may come in any order. Events
 * about sessions Tallybook did not open, and types it does not act on, are ignored (200).
 */
export async function handleStripeEvent(deps: Deps, event: StripeEvent, now: Date): Promise<EventResult> {
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = event.object;
      // Completed with a delayed method (a bank debit) is not paid yet: async_payment_succeeded says when.
      const paid = event.type === 'checkout.session.async_payment_succeeded' || session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
      if (!paid) return IGNORED;
      const checkout = await findCheckout(deps.db.kysely, session);
      if (!checkout) return IGNORED;
      if (await seen(deps.db, event.id)) return DUPLICATE;
      const paymentIntent = typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null);
      // The charge only names the payment on the receipt: without it the credits still land.
      const charge = paymentIntent ? await deps.gateway.latestCharge(paymentIntent, checkout.stripe_account).catch(() => null) : null;
      return act(deps.db, event, checkout.practice_id, (trx) => settleCheckoutPaid(deps.db, trx, checkout.id, { sessionId: String(session.id), paymentIntent, charge }, deps.settings, now), now);
    }
    case 'checkout.session.expired':
    case 'checkout.session.async_payment_failed': {
      const checkout = await findCheckout(deps.db.kysely, event.object);
      if (!checkout) return IGNORED;
      const status = event.type === 'checkout.session.expired' ? 'expired' : 'failed';
      return act(deps.db, event, checkout.practice_id, async (trx) => {
        await settleCheckoutUnpaid(trx, checkout.id, status, now);
        return { refundIds: [] };
      }, now);
    }
    case 'charge.refunded': {
      const charge = event.object;
      const paymentIntent = typeof charge.payment_intent === 'string' ? charge.payment_intent : (charge.payment_intent?.id ?? null);
      const checkout = paymentIntent ? await deps.db.kysely.selectFrom('stripe_checkouts').selectAll().where('payment_intent', '=', paymentIntent).executeTakeFirst() : undefined;
      if (!checkout) return IGNORED;
      if (await seen(deps.db, event.id)) return DUPLICATE;
      // The event's charge does not list its refunds: ask for them (Stripe retries the event if this fails).
      const refunds = await deps.gateway.refundsOfCharge(String(charge.id), checkout.stripe_account).catch((error: unknown) => {
        if (error instanceof PaymentProviderError) throw new DomainError('payment_provider_error', error.message);
        throw error;
      });
      return act(deps.db, event, checkout.practice_id, async (trx) => {
        await reconcileChargeRefunds(deps.db, trx, checkout.id, refunds, now);
        return { refundIds: [] };
      }, now);
    }
    default:
      return IGNORED;
  }
}

async function seen(db: Db, eventId: string): Promise<boolean> {
  return (await db.kysely.selectFrom('stripe_events').select('id').where('id', '=', eventId).executeTakeFirst()) !== undefined;
}

/** Records the event and acts on it in one transaction; a concurrent delivery of the same id waits on the insert, then does nothing. */
async function act(db: Db, event: StripeEvent, practiceId: string, work: (trx: Trx) => Promise<{ refundIds: string[] }>, now: Date): Promise<EventResult> {
  return db.write(async (trx) => {
    const recorded = await trx
      .insertInto('stripe_events')
      .values({ id: event.id, type: event.type, practice_id: practiceId, received_at: iso(now) })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!recorded) return DUPLICATE;
    const { refundIds } = await work(trx);
    return { outcome: 'processed' as const, refundIds };
  });
}
