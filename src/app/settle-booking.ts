import type { Db, Trx } from '../db/create-db.js';
import type { BookingRow, FeeRow, PracticeRow, ServiceRow } from '../db/schema.js';
import { assert, DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import {
  decideCancellation,
  decideCompletion,
  decideNoShow,
  effectivePolicy,
  type Decision,
  type Policy,
} from '../domain/policy.js';
import { appendEntries, openHolds, type Actor } from './ledger-writes.js';
import { feePaymentUrl, notifyCancelled, notifyFeeOwed, type MailSettings } from './notify.js';
import { newId } from './security.js';
import { practicePolicy, serviceOverride } from './views.js';

export interface BookingScope {
  practiceId: string;
  bookingId: string;
  /** Set for a client: the booking must be theirs (else 404). */
  clientId?: string;
}

export interface Loaded {
  booking: BookingRow;
  service: ServiceRow;
  practice: PracticeRow;
  policy: Policy;
}

/** Loads a booking the caller may see (404 otherwise) with its service and effective policy. */
export async function loadBooking(db: Trx | Db['kysely'], scope: BookingScope): Promise<Loaded> {
  let query = db.selectFrom('bookings').selectAll().where('practice_id', '=', scope.practiceId).where('id', '=', scope.bookingId);
  if (scope.clientId) query = query.where('client_id', '=', scope.clientId);
  const booking = await query.executeTakeFirst();
  if (!booking) throw new DomainError('not_found', 'no such booking');
  const service = await db.selectFrom('services').selectAll().where('id', '=', booking.service_id).executeTakeFirstOrThrow();
  const practice = await db.selectFrom('practices').selectAll().where('id', '=', booking.practice_id).executeTakeFirstOrThrow();
  return { booking, service, practice, policy: effectivePolicy(practicePolicy(practice), serviceOverride(service)) };
}

export function bookingFacts(booking: BookingRow) {
  return { start: Date.parse(booking.start_at), end: Date.parse(booking.end_at), status: booking.status, credits: booking.payment_kind === 'credits' ? booking.credits : 0 };
}

export function cancellationView(decision: Pick<Decision, 'outcome' | 'credits' | 'fee' | 'deadline'>) {
  return { outcome: decision.outcome, credits: decision.credits, fee: decision.fee, deadline: iso(decision.deadline) };
}

/** What cancelling now would do, without doing it (the client sees this before confirming). */
export async function previewCancellation(db: Db, scope: BookingScope, actor: 'client' | 'practitioner', now: Date) {
  const { booking, policy } = await loadBooking(db.kysely, scope);
  return cancellationView(decideCancellation(bookingFacts(booking), policy, actor, now.getTime()));
}

type Settlement = { kind: 'cancel'; actor: 'client' | 'practitioner'; applyPolicy?: boolean } | { kind: 'no_show' } | { kind: 'complete' };

/**
 * Cancels, marks a no-show or completes a booking: decides with the domain, then writes exactly
 * that — one resolving entry per open hold (release, forfeit or consume), an owed fee, the new
 * status — in one transaction. A repeat of a cancel that already happened answers its outcome.
 */
export async function settleBooking(db: Db, trx: Trx, scope: BookingScope, settlement: Settlement, actor: Actor, reason: string | null, now: Date, mail?: MailSettings) {
  const pre = await loadBooking(trx, scope);
  await db.lockRow(trx, 'clients', pre.booking.client_id);
  const { booking, practice, service, policy } = await loadBooking(trx, scope); // re-read under the lock
  if (settlement.kind === 'cancel' && (booking.status === 'cancelled' || booking.status === 'late_cancelled')) {
    return { booking, outcome: storedOutcome(booking) };
  }
  const facts = bookingFacts(booking);
  const decision =
    settlement.kind === 'cancel'
      ? decideCancellation(facts, policy, settlement.actor, now.getTime(), { applyPolicy: settlement.applyPolicy })
      : settlement.kind === 'no_show'
        ? decideNoShow(facts, policy, now.getTime())
        : decideCompletion(facts, policy, now.getTime());

  const updated = await trx
    .updateTable('bookings')
    .set({
      status: decision.status,
      updated_at: iso(now),
      ...(settlement.kind === 'cancel' ? { cancel_reason: reason, cancellation_json: JSON.stringify(cancellationView(decision)) } : {}),
    })
    .where('id', '=', booking.id)
    .where('status', '=', 'confirmed')
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new DomainError('conflict', 'the booking changed meanwhile; try again');

  const owner = { practiceId: practice.id, clientId: booking.client_id };
  if (decision.ledger) {
    const holds = await openHolds(trx, practice.id, booking.id);
    await appendEntries(trx, owner, actor, holds.map((h) => ({ lot_id: h.lot_id, kind: decision.ledger!, amount: h.amount, booking_id: booking.id, resolves_id: h.id, reason })), now);
    if (decision.ledger === 'release') await expireReturnedCredits(trx, owner, holds, now);
  }
  let fee: FeeRow | null = null;
  if (decision.outcome === 'fee' && decision.fee) {
    fee = {
      id: newId(),
      practice_id: practice.id,
      client_id: booking.client_id,
      booking_id: booking.id,
      amount: decision.fee.amount,
      currency: decision.fee.currency,
      status: 'owed',
      reason: settlement.kind === 'no_show' ? 'no-show' : 'late cancellation',
      created_at: iso(now),
      resolved_at: null,
    };
    await trx.insertInto('fees').values(fee).execute();
  }
  // A fee owed is paid from the portal, which the mail that announces it links to.
  const payFeeUrl = fee && mail ? feePaymentUrl(mail.publicUrl, practice.slug, fee.id) : null;
  if (settlement.kind === 'cancel') await notifyCancelled(trx, { booking: updated, practice, service, outcome: decision, by: settlement.actor, payFeeUrl }, now);
  if (settlement.kind === 'no_show' && fee) await notifyFeeOwed(trx, { booking: updated, practice, service, fee, payFeeUrl }, now);
  return { booking: updated, outcome: cancellationView(decision), decision };
}

/** Credits returned (released or restored) to a lot that has already expired expire at once. */
export async function expireReturnedCredits(trx: Trx, owner: { practiceId: string; clientId: string }, returned: { lot_id: string; amount: number }[], now: Date) {
  for (const entry of returned) {
    const lot = await trx.selectFrom('lots').select(['id', 'expires_at']).where('id', '=', entry.lot_id).executeTakeFirstOrThrow();
    if (lot.expires_at !== null && lot.expires_at <= iso(now)) {
      await appendEntries(trx, owner, { kind: 'system', id: null }, [{ lot_id: lot.id, kind: 'expire', amount: entry.amount, reason: 'returned after the lot expired' }], now);
    }
  }
}

/** The outcome of a cancellation that already happened, as it was decided then. */
function storedOutcome(booking: BookingRow): ReturnType<typeof cancellationView> {
  assert(booking.cancellation_json, `cancelled booking ${booking.id} keeps its outcome`);
  return JSON.parse(booking.cancellation_json);
}
