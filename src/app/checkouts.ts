import type { Db, Trx } from '../db/create-db.js';
import type { BookingRow, PracticeRow, ServiceRow, StripeCheckoutRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso, MINUTE_MS } from '../domain/instants.js';
import { enqueueJob } from './schedule-job.js';
import { shortTime } from '../mail/format.js';
import { NO_CREDITS } from './balances.js';
import { assertSlotOffered } from './book-session.js';
import { notifyBooked } from './notify.js';
import { loadBooking } from './settle-booking.js';
import { PaymentProviderError, type CheckoutSession, type StripeGateway } from '../payments/stripe.js';
import type { MailSettings } from './notify.js';
import { confirmPurchase } from './purchases.js';
import { newId } from '../lib/ids.js';
import { notifyPaid } from './notify-payments.js';
import { automaticRefund } from './refunds.js';

/**
 * Stripe Checkout Sessions, one row each (stripe_checkouts). The row commits with what it pays for
 * (a purchase, a booking, a fee) before Stripe is called — no HTTP call inside a transaction — and
 * its session id and URL are stored after. The idempotency key is derived from what is paid for, so
 * opening a checkout twice (a retried request, a crash between the call and the write) asks Stripe
 * for the same session. A payment is given its effect once: the row moves to `paid` by a
 * conditional update, under the client's lock, in the transaction that gives the effect.
 */

export type CheckoutPurpose = StripeCheckoutRow['purpose'];

export interface NewCheckout {
  practice: PracticeRow;
  clientId: string;
  purpose: CheckoutPurpose;
  /** The purchase, booking or fee paid for. */
  subjectId: string;
  amount: number;
  currency: string;
  description: string;
  /** Where Stripe sends the client back to. */
  returnUrls: { success: string; cancel: string };
  /** When the session must expire (a single session's hold); null: Stripe's default (24 h). */
  expiresAt: number | null;
}

const SYSTEM = { kind: 'system' as const, id: null };

/**
 * Stripe sends the client back to the booking page (a purchase, a single session) or the portal (a
 * fee), which waits for the webhook: `?checkout=success|cancelled&purchase=ID` (or booking, fee).
 */
export function returnUrls(publicUrl: string, slug: string, purpose: CheckoutPurpose, id: string): { success: string; cancel: string } {
  const page = purpose === 'fee' ? `${publicUrl}/${slug}/me` : `${publicUrl}/${slug}`;
  const url = (outcome: string) => `${page}?checkout=${outcome}&${purpose}=${encodeURIComponent(id)}`;
  return { success: url('success'), cancel: url('cancelled') };
}

export async function insertCheckout(trx: Trx, input: NewCheckout, now: Date): Promise<StripeCheckoutRow> {
  const id = newId();
  const row: StripeCheckoutRow = {
    id,
    practice_id: input.practice.id,
    client_id: input.clientId,
    purpose: input.purpose,
    purchase_id: input.purpose === 'purchase' ? input.subjectId : null,
    booking_id: input.purpose === 'booking' ? input.subjectId : null,
    fee_id: input.purpose === 'fee' ? input.subjectId : null,
    amount: input.amount,
    currency: input.currency,
    description: input.description,
    stripe_account: input.practice.stripe_account_id ?? null,
    // A fee may be tried several times (each Checkout is one attempt); a purchase or a booking once.
    idempotency_key: input.purpose === 'fee' ? `tallybook-fee-checkout-${id}` : `tallybook-${input.purpose}-${input.subjectId}`,
    success_url: input.returnUrls.success,
    cancel_url: input.returnUrls.cancel,
    expires_at: input.expiresAt === null ? null : iso(input.expiresAt),
    session_id: null,
    url: null,
    status: 'creating',
    payment_intent: null,
    charge_id: null,
    refunded_amount: 0,
    created_at: iso(now),
    paid_at: null,
  };
  await trx.insertInto('stripe_checkouts').values(row).execute();
  return row;
}

export const SINGLE_SESSION_HOLD_MINUTES = 30;
/** The release job runs this long after a hold ends, so Stripe's own `checkout.session.expired` usually comes first. */
const RELEASE_GRACE_MS = 2 * MINUTE_MS;
export const EXPIRE_CHECKOUT_JOB = 'stripe-expire-checkout';
export const PAYMENT_EXPIRED = 'payment_expired';

/**
 * A single session paid through Stripe: the booking (pending_payment) holds its slot for 30 minutes,
 * the shortest Checkout lifetime Stripe allows, and the Checkout expires with it. A job expires it
 * through the API in case Stripe's event never comes.
 */
export async function holdForCheckout(trx: Trx, facts: { booking: BookingRow; practice: PracticeRow; service: ServiceRow }, settings: MailSettings, now: Date): Promise<StripeCheckoutRow> {
  const { booking, practice, service } = facts;
  const holdEnds = now.getTime() + SINGLE_SESSION_HOLD_MINUTES * MINUTE_MS;
  const checkout = await insertCheckout(
    trx,
    {
      practice,
      clientId: booking.client_id,
      purpose: 'booking',
      subjectId: booking.id,
      amount: service.price_amount!,
      currency: practice.currency,
      description: `${service.name} with ${practice.name}, ${shortTime(Date.parse(booking.start_at), practice.time_zone)}`,
      returnUrls: returnUrls(settings.publicUrl, practice.slug, 'booking', booking.id),
      expiresAt: holdEnds,
    },
    now,
  );
  await enqueueJob(trx, { kind: EXPIRE_CHECKOUT_JOB, runAt: new Date(holdEnds + RELEASE_GRACE_MS), payload: { checkoutId: checkout.id }, dedupeKey: `expire-checkout:${checkout.id}` }, now);
  return checkout;
}

/** What Stripe is told about a checkout; the same every time for one row, so its idempotency key always matches. */
export function checkoutMetadata(row: StripeCheckoutRow, packageId: string | null): Record<string, string> {
  const ids: Record<string, string | null> = {
    tallybook_checkout: row.id,
    practice_id: row.practice_id,
    client_id: row.client_id,
    purpose: row.purpose,
    purchase_id: row.purchase_id,
    package_id: packageId,
    booking_id: row.booking_id,
    fee_id: row.fee_id,
  };
  return Object.fromEntries(Object.entries(ids).filter((e): e is [string, string] => e[1] !== null));
}

/**
 * Makes sure the checkout has its Stripe session and answers its URL (null once it can no longer
 * be paid). After commit only: this calls Stripe. Stripe refusing the session fails the checkout at
 * once (a single session's slot is released, not held for nothing); not answering leaves it for a retry.
 */
export async function openCheckout(db: Db, gateway: StripeGateway, checkoutId: string, now: Date): Promise<string | null> {
  const row = await db.kysely.selectFrom('stripe_checkouts').selectAll().where('id', '=', checkoutId).executeTakeFirstOrThrow();
  if (row.session_id) return row.status === 'open' || row.status === 'creating' ? row.url : null;
  if (row.status !== 'creating') return null;
  const session = await ensureSession(db, gateway, row).catch(async (error: unknown) => {
    if (!(error instanceof PaymentProviderError)) throw error;
    if (error.definitive) {
      await db.write((trx) => settleCheckoutUnpaid(trx, row.id, 'failed', now));
      throw new DomainError('payment_provider_error', `${error.message}; nothing was charged`);
    }
    throw new DomainError('payment_provider_error', `${error.message}; try again in a moment`);
  });
  return session.status === 'open' ? session.url : null;
}

/** Asks Stripe for the row's session (created once, by its idempotency key) and stores its id and URL. */
export async function ensureSession(db: Db, gateway: StripeGateway, row: StripeCheckoutRow): Promise<CheckoutSession> {
  const client = await db.kysely.selectFrom('clients').select('email').where('id', '=', row.client_id).executeTakeFirstOrThrow();
  const packageId = row.purchase_id
    ? ((await db.kysely.selectFrom('purchases').select('package_id').where('id', '=', row.purchase_id).executeTakeFirst())?.package_id ?? null)
    : null;
  const session = await gateway.createCheckout({
    amount: row.amount,
    currency: row.currency,
    description: row.description,
    clientReferenceId: row.client_id,
    metadata: checkoutMetadata(row, packageId),
    successUrl: row.success_url,
    cancelUrl: row.cancel_url,
    expiresAtMs: row.expires_at === null ? null : Date.parse(row.expires_at),
    customerEmail: client.email.includes('@') ? client.email : null,
    idempotencyKey: row.idempotency_key,
    account: row.stripe_account,
  });
  await db.write(async (trx) => {
    await trx
      .updateTable('stripe_checkouts')
      .set({ session_id: session.id, url: session.url, expires_at: iso(session.expiresAtMs) })
      .where('id', '=', row.id)
      .where('session_id', 'is', null)
      .execute();
    // A webhook may have settled it already; only a row still being created becomes open.
    await trx.updateTable('stripe_checkouts').set({ status: 'open' }).where('id', '=', row.id).where('status', '=', 'creating').execute();
  });
  return session;
}

/** The checkout a Stripe session belongs to: by our id in its metadata, else by its session id. */
export async function findCheckout(db: Db['kysely'] | Trx, session: { id?: unknown; metadata?: unknown }): Promise<StripeCheckoutRow | undefined> {
  const ours = (session.metadata as Record<string, unknown> | null | undefined)?.tallybook_checkout;
  if (typeof ours === 'string') {
    const row = await db.selectFrom('stripe_checkouts').selectAll().where('id', '=', ours).executeTakeFirst();
    if (row && (row.session_id === null || row.session_id === session.id)) return row;
  }
  if (typeof session.id !== 'string') return undefined;
  return db.selectFrom('stripe_checkouts').selectAll().where('session_id', '=', session.id).executeTakeFirst();
}

export interface Payment {
  sessionId: string;
  paymentIntent: string | null;
  charge: string | null;
}

/** Refunds to make after commit (a payment that arrived when nothing could take it any more). */
export interface Settled {
  refundIds: string[];
}

/**
 * A paid checkout gives what it paid for, once: the row moves to `paid` conditionally, under the
 * client's lock (and the calendar's, for a booking), in the caller's transaction.
 */
export async function settleCheckoutPaid(db: Db, trx: Trx, checkoutId: string, payment: Payment, settings: MailSettings, now: Date): Promise<Settled> {
  const before = await trx.selectFrom('stripe_checkouts').selectAll().where('id', '=', checkoutId).executeTakeFirstOrThrow();
  await db.lockRow(trx, 'clients', before.client_id);
  if (before.purpose === 'booking') await db.lockRow(trx, 'calendars', before.practice_id);
  const row = await trx
    .updateTable('stripe_checkouts')
    .set({
      status: 'paid',
      session_id: before.session_id ?? payment.sessionId,
      payment_intent: payment.paymentIntent,
      charge_id: payment.charge,
      paid_at: iso(now),
    })
    .where('id', '=', checkoutId)
    .where('status', '!=', 'paid')
    .returningAll()
    .executeTakeFirst();
  if (!row) return { refundIds: [] }; // another event (completed, async_payment_succeeded) or the job got here first

  switch (row.purpose) {
    case 'purchase':
      await confirmPurchase(trx, row.purchase_id!, row.payment_intent ?? `stripe_${row.session_id}`, SYSTEM, now, { revive: true, charge: row.charge_id });
      return { refundIds: [] };
    case 'booking':
      return { refundIds: await confirmPaidBooking(db, trx, row, settings, now) };
    case 'fee': {
      const fee = await trx.updateTable('fees').set({ status: 'paid', resolved_at: iso(now) }).where('id', '=', row.fee_id!).where('status', '=', 'owed').returningAll().executeTakeFirst();
      if (fee) {
        await notifyPaid(trx, row, now);
        return { refundIds: [] };
      }
      // Waived, or marked paid by the practitioner, while the client was paying: the money goes back.
      return { refundIds: [await automaticRefund(trx, row, 'The fee had already been settled when your payment arrived.', settings, now)] };
    }
    default:
      throw new Error(`checkouts for a ${row.purpose} are not handled yet`);
  }
}

/**
 * A checkout that can no longer be paid (Stripe expired it, or its delayed payment failed): the
 * purchase fails. Conditional, so a late or repeated event changes nothing.
 */
export async function settleCheckoutUnpaid(trx: Trx, checkoutId: string, status: 'expired' | 'failed', now: Date): Promise<boolean> {
  const row = await trx
    .updateTable('stripe_checkouts')
    .set({ status })
    .where('id', '=', checkoutId)
    .where('status', 'in', ['creating', 'open'])
    .returningAll()
    .executeTakeFirst();
  if (!row) return false;
  if (row.purpose === 'purchase') {
    await trx.updateTable('purchases').set({ status: 'failed' }).where('id', '=', row.purchase_id!).where('status', '=', 'pending').execute();
  }
  if (row.purpose === 'booking') {
    // The slot is free again; a payment that still arrives is handled by confirmPaidBooking.
    const booking = await trx.selectFrom('bookings').select('start_at').where('id', '=', row.booking_id!).executeTakeFirstOrThrow();
    await trx
      .updateTable('bookings')
      .set({ status: 'cancelled', cancel_reason: PAYMENT_EXPIRED, cancellation_json: JSON.stringify({ outcome: 'none', credits: 0, fee: null, deadline: booking.start_at }), updated_at: iso(now) })
      .where('id', '=', row.booking_id!)
      .where('status', '=', 'pending_payment')
      .execute();
  }
  return true;
}

/**
 * A paid single session is confirmed (invite and receipt). Paid after its hold was released: booked
 * again if its time is still free, else the payment goes back and the client is told.
 */
async function confirmPaidBooking(db: Db, trx: Trx, checkout: StripeCheckoutRow, settings: MailSettings, now: Date): Promise<string[]> {
  const { booking, practice, service } = await loadBooking(trx, { practiceId: checkout.practice_id, bookingId: checkout.booking_id! });
  const confirm = async (from: BookingRow['status']) => {
    const confirmed = await trx
      .updateTable('bookings')
      .set({ status: 'confirmed', cancel_reason: null, cancellation_json: null, updated_at: iso(now) })
      .where('id', '=', booking.id)
      .where('status', '=', from)
      .returningAll()
      .executeTakeFirstOrThrow();
    await notifyBooked(trx, { booking: confirmed, practice, service, credits: NO_CREDITS, balance: NO_CREDITS }, settings, now);
    await notifyPaid(trx, checkout, now);
    return [];
  };
  if (booking.status === 'pending_payment') return confirm('pending_payment');
  if (booking.status === 'cancelled' && booking.cancel_reason === PAYMENT_EXPIRED) {
    try {
      await assertSlotOffered(trx, practice, service, Date.parse(booking.start_at), now, { clientId: booking.client_id, exceptBookingId: booking.id });
      return confirm('cancelled');
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'slot_unavailable') throw error;
      return [await automaticRefund(trx, checkout, 'Your payment arrived after the 30 minutes the time was held for you, and it has been booked since (or can no longer be booked).', settings, now)];
    }
  }
  return [await automaticRefund(trx, checkout, 'The booking had been cancelled when your payment arrived.', settings, now)];
}

/**
 * The job behind a single session's hold: if Stripe's `checkout.session.expired` never came, expire
 * the session through the API (or find it paid) and act as the event would have. Conditional like
 * the events, so it does nothing once an event got there first. Returns refunds to make.
 */
export async function expireOverdueCheckout(db: Db, gateway: StripeGateway | null, checkoutId: string, settings: MailSettings, now: Date): Promise<string[]> {
  const row = await db.kysely.selectFrom('stripe_checkouts').selectAll().where('id', '=', checkoutId).executeTakeFirst();
  if (!row || (row.status !== 'creating' && row.status !== 'open')) return [];
  // Never opened (Stripe did not answer): nobody has its URL, so nobody can pay it.
  let session: CheckoutSession | null = null;
  if (row.session_id) {
    if (!gateway) throw new Error('a Stripe Checkout is open but Stripe is not configured');
    session = await gateway.expireCheckout(row.session_id, row.stripe_account); // not answering: the job retries
  }
  if (session?.status === 'complete' && session.paymentStatus !== 'unpaid') {
    const paid = session;
    const charge = paid.paymentIntent ? await gateway!.latestCharge(paid.paymentIntent, row.stripe_account).catch(() => null) : null;
    const settled = await db.write((trx) => settleCheckoutPaid(db, trx, row.id, { sessionId: paid.id, paymentIntent: paid.paymentIntent, charge }, settings, now));
    return settled.refundIds;
  }
  // Expired, or completed with a delayed payment still processing: the slot is released either way.
  await db.write((trx) => settleCheckoutUnpaid(trx, row.id, 'expired', now));
  return [];
}
