import type { Db, Trx } from '../db/create-db.js';
import type { PracticeRow, StripeCheckoutRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import { PaymentProviderError, type CheckoutSession, type StripeGateway } from '../payments/stripe.js';
import type { MailSettings } from './notify.js';
import { confirmPurchase } from './purchases.js';
import { newId } from './security.js';
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
 * be paid). After commit only: this calls Stripe.
 */
export async function openCheckout(db: Db, gateway: StripeGateway, checkoutId: string): Promise<string | null> {
  const row = await db.kysely.selectFrom('stripe_checkouts').selectAll().where('id', '=', checkoutId).executeTakeFirstOrThrow();
  if (row.session_id) return row.status === 'open' || row.status === 'creating' ? row.url : null;
  if (row.status !== 'creating') return null;
  const session = await ensureSession(db, gateway, row).catch((error: unknown) => {
    if (error instanceof PaymentProviderError) throw new DomainError('payment_provider_error', `${error.message}; try again in a moment`);
    throw error;
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
export async function settleCheckoutUnpaid(trx: Trx, checkoutId: string, status: 'expired' | 'failed'): Promise<boolean> {
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
  return true;
}
