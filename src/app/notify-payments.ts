/**
 * The mail about money (receipts of Stripe payments, refund receipts, a payment sent back), written
 * into the outbox in the caller's transaction like every other mail (notify.ts).
 */
import type { Trx } from '../db/create-db.js';
import type { RefundRow, StripeCheckoutRow } from '../db/schema.js';
import { enqueueMail } from '../mail/outbox.js';
import { sessionTime } from '../mail/format.js';
import * as templates from '../mail/templates.js';
import { practiceLinks, type MailSettings } from './notify.js';

async function facts(trx: Trx, practiceId: string, clientId: string) {
  const practice = await trx.selectFrom('practices').selectAll().where('id', '=', practiceId).executeTakeFirstOrThrow();
  const client = await trx.selectFrom('clients').select(['name', 'email']).where('id', '=', clientId).executeTakeFirstOrThrow();
  return { practice, client };
}

/** What a checkout or refund paid for, in words: the package, the session and its time, or the fee. */
async function whatWasPaid(trx: Trx, source: { purchase_id: string | null; checkout_id?: string | null; booking_id?: string | null; fee_id?: string | null }, timeZone: string): Promise<string> {
  let bookingId = source.booking_id ?? null;
  let feeId = source.fee_id ?? null;
  if (source.checkout_id) {
    const checkout = await trx.selectFrom('stripe_checkouts').select(['booking_id', 'fee_id', 'description']).where('id', '=', source.checkout_id).executeTakeFirstOrThrow();
    bookingId ??= checkout.booking_id;
    feeId ??= checkout.fee_id;
  }
  if (source.purchase_id) {
    const lot = await trx.selectFrom('lots').select('package_name').where('purchase_id', '=', source.purchase_id).executeTakeFirst();
    if (lot) return lot.package_name;
  }
  if (feeId) {
    const fee = await trx.selectFrom('fees').select(['reason', 'booking_id']).where('id', '=', feeId).executeTakeFirstOrThrow();
    return `Fee (${fee.reason ?? 'cancellation policy'}) for ${await sessionWords(trx, fee.booking_id, timeZone)}`;
  }
  if (bookingId) return sessionWords(trx, bookingId, timeZone);
  return 'Payment';
}

async function sessionWords(trx: Trx, bookingId: string, timeZone: string): Promise<string> {
  const b = await trx.selectFrom('bookings as b').innerJoin('services as s', 's.id', 'b.service_id').select(['s.name', 'b.start_at', 'b.end_at']).where('b.id', '=', bookingId).executeTakeFirstOrThrow();
  return `${b.name}, ${sessionTime(Date.parse(b.start_at), Date.parse(b.end_at), timeZone)}`;
}

/** The refund receipt: what was refunded, the amount, the credits taken back, Stripe's refund id. */
export async function notifyRefunded(trx: Trx, refund: RefundRow, now: Date): Promise<void> {
  const { practice, client } = await facts(trx, refund.practice_id, refund.client_id);
  const checkout = refund.checkout_id ? await trx.selectFrom('stripe_checkouts').select('charge_id').where('id', '=', refund.checkout_id).executeTakeFirst() : undefined;
  const content = templates.refundReceipt({
    practiceName: practice.name,
    timeZone: practice.time_zone,
    clientName: client.name,
    what: await whatWasPaid(trx, refund, practice.time_zone),
    amount: { amount: refund.amount, currency: refund.currency },
    credits: refund.credits,
    refundedAtMs: now.getTime(),
    reference: refund.provider_ref ?? refund.id,
    charge: checkout?.charge_id ?? null,
  });
  await enqueueMail(trx, { practiceId: practice.id, to: client.email, ...content, key: `refund-${refund.id}` }, now);
}

/** The receipt of a single session or a fee paid through Stripe. */
export async function notifyPaid(trx: Trx, checkout: StripeCheckoutRow, now: Date): Promise<void> {
  const { practice, client } = await facts(trx, checkout.practice_id, checkout.client_id);
  const content = templates.paymentReceipt({
    practiceName: practice.name,
    timeZone: practice.time_zone,
    clientName: client.name,
    what: await whatWasPaid(trx, { purchase_id: null, booking_id: checkout.booking_id, fee_id: checkout.fee_id }, practice.time_zone),
    amount: { amount: checkout.amount, currency: checkout.currency },
    paidAtMs: now.getTime(),
    charge: checkout.charge_id,
    reference: checkout.id,
  });
  await enqueueMail(trx, { practiceId: practice.id, to: client.email, ...content, key: `receipt-${checkout.id}` }, now);
}

/** A payment that nothing could take any more goes back, and the client is told why. */
export async function notifyPaymentReturned(trx: Trx, checkout: StripeCheckoutRow, why: string, settings: MailSettings, now: Date): Promise<void> {
  const { practice, client } = await facts(trx, checkout.practice_id, checkout.client_id);
  const content = templates.paymentReturned(
    {
      practiceName: practice.name,
      clientName: client.name,
      what: await whatWasPaid(trx, { purchase_id: checkout.purchase_id, booking_id: checkout.booking_id, fee_id: checkout.fee_id }, practice.time_zone),
      amount: { amount: checkout.amount, currency: checkout.currency },
      why,
    },
    practiceLinks(settings.publicUrl, practice.slug),
  );
  await enqueueMail(trx, { practiceId: practice.id, to: client.email, ...content, key: `returned-${checkout.id}` }, now);
}
