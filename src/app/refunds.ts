import { sql } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { PurchaseRow, RefundRow, StripeCheckoutRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso, MINUTE_MS } from '../domain/instants.js';
import { creditsCoveredBy, proRataRefund } from '../domain/refunds.js';
import { enqueueJob } from './schedule-job.js';
import { PaymentProviderError, type StripeGateway, type StripeRefund } from '../payments/stripe.js';
import { clientLots } from './balances.js';
import { appendEntries, type Actor } from './ledger-writes.js';
import { notifyPaymentReturned, notifyRefunded } from './notify-payments.js';
import type { MailSettings } from './notify.js';
import { newId } from '../lib/ids.js';
import { expireReturnedCredits, settleBooking } from './settle-booking.js';

/**
 * Refunds. A practitioner's refund of a package revokes the unused credits it pays back and records
 * the refund in one transaction; the money moves after commit (a call to Stripe keyed on the refund's
 * id, retried by a job until Stripe answers), or at once without a call out for a purchase that was
 * not paid through Stripe (dev, manual: the money is returned outside Tallybook). Each Stripe refund
 * id is recorded once (unique), whether learnt from the API's answer or from `charge.refunded`, so
 * a refund made in Stripe's dashboard is reconciled once, and one of ours is never counted twice.
 */

export const STRIPE_REFUND_JOB = 'stripe-refund';
/** The job that makes a refund if the request that decided it could not (a crash, Stripe down). */
const REFUND_RETRY_AFTER_MS = 2 * MINUTE_MS;
const SYSTEM: Actor = { kind: 'system', id: null };

export interface RefundScope {
  practiceId: string;
  purchaseId: string;
}

export interface RefundInput {
  /** Unused credits to refund (default: every one). */
  credits?: number;
  /** Cancel the upcoming bookings whose held credits the refund needs (else 409). */
  cancelBookings?: boolean;
}

export interface RefundQuote {
  purchase: PurchaseRow;
  lotId: string;
  credits: number;
  amount: number;
  /** The most credits that can be refunded now: available, plus held by bookings not yet started. */
  refundableCredits: number;
  /** The upcoming bookings that would be cancelled for it (latest first). */
  bookingsToCancel: { id: string; start: string; credits: number }[];
}

/** What refunding would do (GET /purchases/{id}/refund); the same decision the refund itself makes. */
export async function quoteRefund(reader: Trx | Db['kysely'], scope: RefundScope, input: RefundInput, now: Date): Promise<RefundQuote> {
  const purchase = await reader.selectFrom('purchases').selectAll().where('practice_id', '=', scope.practiceId).where('id', '=', scope.purchaseId).executeTakeFirst();
  if (!purchase) throw new DomainError('not_found', 'no such purchase');
  if (purchase.status === 'refunded') throw new DomainError('conflict', 'this purchase is already refunded in full');
  if (purchase.status !== 'paid') throw new DomainError('conflict', `this purchase is ${purchase.status}, not paid: there is nothing to refund`);
  const lot = (await clientLots(reader, purchase.practice_id, purchase.client_id)).find((l) => l.purchase_id === purchase.id);
  if (!lot) throw new Error(`invariant violated: paid purchase ${purchase.id} has a lot`);
  const granted = await grantedBy(reader, lot.id);
  const before = await refundedCredits(reader, purchase.id);

  // Held credits of this lot, by booking: those not started yet can be freed by cancelling.
  const holds = await reader
    .selectFrom('ledger_entries as h')
    .innerJoin('bookings as b', 'b.id', 'h.booking_id')
    .select(['b.id', 'b.start_at', 'h.amount'])
    .where('h.lot_id', '=', lot.id)
    .where('h.kind', '=', 'hold')
    .where('b.status', '=', 'confirmed')
    .where('b.start_at', '>', iso(now))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('ledger_entries as r').select('r.id').whereRef('r.resolves_id', '=', 'h.id'))))
    .orderBy('b.start_at', 'desc')
    .execute();
  const upcoming = [...holds.reduce((m, h) => m.set(h.id, { id: h.id, start: h.start_at, credits: (m.get(h.id)?.credits ?? 0) + h.amount }), new Map<string, { id: string; start: string; credits: number }>()).values()];
  const refundableCredits = Math.min(lot.available + upcoming.reduce((n, b) => n + b.credits, 0), granted - before);
  const credits = input.credits ?? refundableCredits;
  if (credits === 0) throw new DomainError('conflict', 'no unused credits are left to refund');
  if (credits > refundableCredits) throw new DomainError('conflict', `only ${refundableCredits} unused credit(s) of this purchase can be refunded`, { refundableCredits });

  const bookingsToCancel: RefundQuote['bookingsToCancel'] = [];
  let freed = lot.available;
  for (const booking of upcoming) {
    if (freed >= credits) break;
    bookingsToCancel.push(booking);
    freed += booking.credits;
  }
  const amount = Math.min(proRataRefund(purchase.amount, granted, before, credits), purchase.amount - (purchase.refunded_amount ?? 0));
  return { purchase, lotId: lot.id, credits, amount, refundableCredits, bookingsToCancel };
}

/**
 * POST /purchases/{id}/refund, in the caller's transaction: cancels the bookings it needs (a
 * practitioner's cancellation: credits released, client mailed) when asked to, revokes the credits,
 * records the refund. Through Stripe it is `pending` until processRefund (after commit) or its job
 * makes it; otherwise it succeeds at once.
 */
export async function startPurchaseRefund(db: Db, trx: Trx, scope: RefundScope, input: RefundInput, actor: Actor, now: Date): Promise<RefundRow> {
  const owner = await trx.selectFrom('purchases').select('client_id').where('practice_id', '=', scope.practiceId).where('id', '=', scope.purchaseId).executeTakeFirst();
  if (!owner) throw new DomainError('not_found', 'no such purchase');
  await db.lockRow(trx, 'clients', owner.client_id);
  const quote = await quoteRefund(trx, scope, input, now); // decided under the client's lock
  const { purchase } = quote;
  if (quote.bookingsToCancel.length > 0 && !input.cancelBookings) {
    throw new DomainError('conflict', `${quote.bookingsToCancel.length} upcoming booking(s) hold credits this refund needs; cancel them first, or send cancelBookings: true`, {
      bookings: quote.bookingsToCancel,
    });
  }
  for (const booking of quote.bookingsToCancel) {
    await settleBooking(db, trx, { practiceId: scope.practiceId, bookingId: booking.id }, { kind: 'cancel', actor: 'practitioner' }, actor, 'cancelled to refund the package', now);
  }
  const clientOwner = { practiceId: purchase.practice_id, clientId: purchase.client_id };
  await appendEntries(trx, clientOwner, actor, [{ lot_id: quote.lotId, kind: 'revoke', amount: quote.credits, reason: 'refund' }], now);

  const checkout = await trx.selectFrom('stripe_checkouts').selectAll().where('purchase_id', '=', purchase.id).where('status', '=', 'paid').executeTakeFirst();
  const throughStripe = purchase.provider === 'stripe' && checkout !== undefined && quote.amount > 0;
  const refund = await insertRefund(trx, { purchase, checkout: checkout ?? null, amount: quote.amount, credits: quote.credits, origin: 'practitioner', reason: null }, now);
  if (!throughStripe) await refundSucceeded(trx, refund.id, null, now);
  else await enqueueJob(trx, { kind: STRIPE_REFUND_JOB, runAt: new Date(now.getTime() + REFUND_RETRY_AFTER_MS), payload: { refundId: refund.id }, dedupeKey: `refund:${refund.id}` }, now);
  return (await trx.selectFrom('refunds').selectAll().where('id', '=', refund.id).executeTakeFirstOrThrow());
}

export async function insertRefund(
  trx: Trx,
  r: { purchase: PurchaseRow | null; checkout: StripeCheckoutRow | null; amount: number; credits: number; origin: RefundRow['origin']; reason: string | null; clientId?: string; practiceId?: string; currency?: string },
  now: Date,
): Promise<RefundRow> {
  const row: RefundRow = {
    id: newId(),
    practice_id: r.purchase?.practice_id ?? r.checkout?.practice_id ?? r.practiceId!,
    client_id: r.purchase?.client_id ?? r.checkout?.client_id ?? r.clientId!,
    purchase_id: r.purchase?.id ?? null,
    checkout_id: r.checkout?.id ?? null,
    amount: r.amount,
    currency: r.purchase?.currency ?? r.checkout?.currency ?? r.currency!,
    credits: r.credits,
    status: 'pending',
    origin: r.origin,
    provider_ref: null,
    reason: r.reason,
    created_at: iso(now),
    resolved_at: null,
  };
  await trx.insertInto('refunds').values(row).execute();
  return row;
}

/**
 * A payment nothing can take any more (the slot was taken after its hold ran out, the fee was
 * settled meanwhile) goes back in full: a pending refund, made after commit or by its job; the
 * client is told why. Returns the refund's id.
 */
export async function automaticRefund(trx: Trx, checkout: StripeCheckoutRow, why: string, settings: MailSettings, now: Date): Promise<string> {
  const refund = await insertRefund(trx, { purchase: null, checkout, amount: checkout.amount, credits: 0, origin: 'automatic', reason: why }, now);
  await enqueueJob(trx, { kind: STRIPE_REFUND_JOB, runAt: new Date(now.getTime() + REFUND_RETRY_AFTER_MS), payload: { refundId: refund.id }, dedupeKey: `refund:${refund.id}` }, now);
  await notifyPaymentReturned(trx, checkout, why, settings, now);
  return refund.id;
}

/**
 * Makes a pending Stripe refund (after commit: this calls Stripe, keyed on the refund's id). A refusal
 * by Stripe fails the refund and gives the revoked credits back; no answer leaves it pending for its job.
 */
export async function processRefund(db: Db, gateway: StripeGateway, refundId: string, now: Date): Promise<RefundRow> {
  const refund = await db.kysely.selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirstOrThrow();
  if (refund.status !== 'pending' || !refund.checkout_id) return refund;
  const checkout = await db.kysely.selectFrom('stripe_checkouts').selectAll().where('id', '=', refund.checkout_id).executeTakeFirstOrThrow();
  let made: StripeRefund;
  try {
    made = await gateway.createRefund({
      paymentIntent: checkout.payment_intent!,
      amount: refund.amount,
      metadata: { tallybook_refund: refund.id, practice_id: refund.practice_id, ...(refund.purchase_id ? { purchase_id: refund.purchase_id } : {}) },
      idempotencyKey: `tallybook-refund-${refund.id}`,
      account: checkout.stripe_account,
    });
  } catch (error) {
    if (!(error instanceof PaymentProviderError)) throw error;
    if (error.definitive) {
      await db.write((trx) => failRefund(db, trx, refund.id, error.message, now));
      throw new DomainError('payment_provider_error', `${error.message}; the refund was not made and its credits were given back`);
    }
    throw new DomainError('payment_provider_error', `${error.message}; the refund is recorded and will be retried`);
  }
  await db.write((trx) => refundSucceeded(trx, refund.id, made.id, now));
  return db.kysely.selectFrom('refunds').selectAll().where('id', '=', refund.id).executeTakeFirstOrThrow();
}

/** The job: a refund still pending is made; Stripe not answering fails the job, which is retried with backoff. */
export async function refundJob(db: Db, gateway: StripeGateway | null, payload: { refundId: string }, now: Date): Promise<void> {
  if (!gateway) throw new Error('a Stripe refund is pending but Stripe is not configured');
  try {
    await processRefund(db, gateway, payload.refundId, now);
  } catch (error) {
    const refund = await db.kysely.selectFrom('refunds').select('status').where('id', '=', payload.refundId).executeTakeFirstOrThrow();
    if (refund.status === 'pending') throw error;
  }
}

/** A refund that went through: counted on the purchase (fully refunded: `refunded`) and its checkout, receipt mailed; once. */
export async function refundSucceeded(trx: Trx, refundId: string, providerRef: string | null, now: Date): Promise<boolean> {
  const refund = await trx
    .updateTable('refunds')
    .set({ status: 'succeeded', provider_ref: providerRef, resolved_at: iso(now) })
    .where('id', '=', refundId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!refund) return false;
  if (refund.purchase_id) {
    await trx
      .updateTable('purchases')
      .set({
        refunded_amount: sql<number>`refunded_amount + ${refund.amount}`,
        status: sql<PurchaseRow['status']>`case when status = 'paid' and refunded_amount + ${refund.amount} >= amount then 'refunded' else status end`,
      })
      .where('id', '=', refund.purchase_id)
      .execute();
  }
  if (refund.checkout_id) {
    await trx.updateTable('stripe_checkouts').set({ refunded_amount: sql<number>`refunded_amount + ${refund.amount}` }).where('id', '=', refund.checkout_id).execute();
  }
  await notifyRefunded(trx, refund, now);
  return true;
}

/** Stripe refused: the refund failed, and the credits it revoked are given back (expiring at once if their lot has expired). */
async function failRefund(db: Db, trx: Trx, refundId: string, message: string, now: Date): Promise<void> {
  const refund = await trx.updateTable('refunds').set({ status: 'failed', reason: message.slice(0, 500), resolved_at: iso(now) }).where('id', '=', refundId).where('status', '=', 'pending').returningAll().executeTakeFirst();
  if (!refund || refund.credits === 0 || !refund.purchase_id) return;
  await db.lockRow(trx, 'clients', refund.client_id);
  const lot = await trx.selectFrom('lots').select('id').where('purchase_id', '=', refund.purchase_id).executeTakeFirstOrThrow();
  const owner = { practiceId: refund.practice_id, clientId: refund.client_id };
  await appendEntries(trx, owner, SYSTEM, [{ lot_id: lot.id, kind: 'adjust', amount: refund.credits, reason: 'the refund was refused by Stripe: credits given back' }], now);
  await expireReturnedCredits(trx, owner, [{ lot_id: lot.id, amount: refund.credits }], now);
}

/**
 * `charge.refunded`: each refund Stripe lists for the charge is recorded once. One of ours (our id
 * in its metadata) completes the pending refund; any other was made in Stripe's dashboard and is
 * reconciled like a practitioner's refund: for a package, the credits its amount covers are revoked
 * (as far as they are still available).
 */
export async function reconcileChargeRefunds(db: Db, trx: Trx, checkoutId: string, stripeRefunds: StripeRefund[], now: Date): Promise<void> {
  const checkout = await trx.selectFrom('stripe_checkouts').selectAll().where('id', '=', checkoutId).executeTakeFirstOrThrow();
  await db.lockRow(trx, 'clients', checkout.client_id);
  const counted = stripeRefunds.filter((r) => r.status === 'succeeded' || r.status === 'pending').reverse(); // oldest first
  for (const made of counted) {
    if (await trx.selectFrom('refunds').select('id').where('provider_ref', '=', made.id).executeTakeFirst()) continue;
    const ours = made.metadata.tallybook_refund
      ? await trx.selectFrom('refunds').selectAll().where('id', '=', made.metadata.tallybook_refund).where('checkout_id', '=', checkout.id).executeTakeFirst()
      : undefined;
    if (ours) {
      await refundSucceeded(trx, ours.id, made.id, now);
      continue;
    }
    const purchase = checkout.purchase_id ? await trx.selectFrom('purchases').selectAll().where('id', '=', checkout.purchase_id).executeTakeFirstOrThrow() : null;
    const credits = purchase ? await revokeCovered(trx, purchase, made.amount, now) : 0;
    const refund = await insertRefund(trx, { purchase, checkout, amount: made.amount, credits, origin: 'dashboard', reason: 'refunded in Stripe' }, now);
    await refundSucceeded(trx, refund.id, made.id, now);
  }
}

/** The credits a dashboard refund of `amount` pays back, beyond those refunded already, revoked as far as they are available. */
async function revokeCovered(trx: Trx, purchase: PurchaseRow, amount: number, now: Date): Promise<number> {
  const lot = (await clientLots(trx, purchase.practice_id, purchase.client_id)).find((l) => l.purchase_id === purchase.id);
  if (!lot) return 0;
  const granted = await grantedBy(trx, lot.id);
  const refunds = await trx.selectFrom('refunds').select(['amount', 'credits']).where('purchase_id', '=', purchase.id).where('status', '!=', 'failed').execute();
  const totalAmount = refunds.reduce((n, r) => n + r.amount, 0) + amount;
  const before = refunds.reduce((n, r) => n + r.credits, 0);
  const revoke = Math.min(Math.max(0, creditsCoveredBy(purchase.amount, granted, totalAmount) - before), lot.available);
  if (revoke > 0) {
    await appendEntries(trx, { practiceId: purchase.practice_id, clientId: purchase.client_id }, SYSTEM, [{ lot_id: lot.id, kind: 'revoke', amount: revoke, reason: 'refunded in Stripe' }], now);
  }
  return revoke;
}

async function grantedBy(reader: Trx | Db['kysely'], lotId: string): Promise<number> {
  const grant = await reader.selectFrom('ledger_entries').select('amount').where('lot_id', '=', lotId).where('kind', '=', 'grant').executeTakeFirstOrThrow();
  return grant.amount;
}

async function refundedCredits(reader: Trx | Db['kysely'], purchaseId: string): Promise<number> {
  const rows = await reader.selectFrom('refunds').select('credits').where('purchase_id', '=', purchaseId).where('status', '!=', 'failed').execute();
  return rows.reduce((n, r) => n + r.credits, 0);
}

export function refundView(refund: RefundRow) {
  return { id: refund.id, amount: { amount: refund.amount, currency: refund.currency }, credits: refund.credits, status: refund.status, origin: refund.origin, createdAt: refund.created_at };
}
