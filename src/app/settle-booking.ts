import type { Db, Trx } from '../db/create-db.js';
import type { BookingRow, FeeRow, PracticeRow, ServiceRow } from '../db/schema.js';
import { assert, DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import {
  cancellationDeadline,
  decideCancellation,
  decideCompletion,
  decideNoShow,
  effectivePolicy,
  type BookingStatus,
  type Decision,
  type Policy,
} from '../domain/policy.js';
import { appendEntries, openHolds, type Actor } from './ledger-writes.js';
import { feePaymentUrl, notifyCancelled, notifyFeeOwed, type MailSettings } from './notify.js';
import { newId } from '../lib/ids.js';
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

/** The statuses a settlement leaves a booking in: finding one of them, the settlement already happened. */
const SETTLED_AS: Record<Settlement['kind'], BookingStatus[]> = {
  cancel: ['cancelled', 'late_cancelled'],
  no_show: ['no_show'],
  complete: ['completed'],
};

/**
 * Cancels, marks a no-show or completes a booking: decides with the domain, then writes exactly
 * that — one resolving entry per open hold (release, forfeit or consume), an owed fee, the new
 * status, the outcome as decided — in one transaction. A repeat of a settlement that already
 * happened answers its stored outcome and writes nothing; another settlement of a settled booking
 * is refused by the domain.
 */
export async function settleBooking(db: Db, trx: Trx, scope: BookingScope, settlement: Settlement, actor: Actor, reason: string | null, now: Date, mail?: MailSettings) {
  const pre = await loadBooking(trx, scope);
  await db.lockRow(trx, 'clients', pre.booking.client_id);
  const { booking, practice, service, policy } = await loadBooking(trx, scope); // re-read under the lock
  if (SETTLED_AS[settlement.kind].includes(booking.status)) {
    return { booking, outcome: await storedOutcome(trx, booking, policy) };
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
      cancellation_json: JSON.stringify(cancellationView(decision)),
      ...(settlement.kind === 'cancel' ? { cancel_reason: reason } : {}),
    })
    .where('id', '=', booking.id)
    .where('status', '=', 'confirmed')
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new DomainError('conflict', 'the booking changed meanwhile; try again');

  const owner = { practiceId: practice.id, clientId: booking.client_id };
  if (decision.ledger) {
    const holds = await openHolds(trx, practice.id, booking.id);
    // What a client writes ("ill, call me on …") is personal data that erasure must be able to remove,
    // so it stays on the booking (cancel_reason) and never enters the immutable ledger.
    const ledgerReason = settlement.kind === 'cancel' && settlement.actor === 'client' ? null : reason;
    await appendEntries(trx, owner, actor, holds.map((h) => ({ lot_id: h.lot_id, kind: decision.ledger!, amount: h.amount, booking_id: booking.id, resolves_id: h.id, reason: ledgerReason })), now);
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

type Cancellation = ReturnType<typeof cancellationView>;

/** The outcome of a settlement that already happened, as it was decided then. */
async function storedOutcome(trx: Trx, booking: BookingRow, policy: Policy): Promise<Cancellation> {
  if (booking.cancellation_json) return JSON.parse(booking.cancellation_json) as Cancellation;
  // Settled before outcomes were kept (no-shows and completions until 2026-12): read it back from
  // what the settlement wrote, and keep it, so every later repeat answers the same.
  const outcome = await recordedOutcome(trx, booking, policy);
  await trx.updateTable('bookings').set({ cancellation_json: JSON.stringify(outcome) }).where('id', '=', booking.id).where('cancellation_json', 'is', null).execute();
  return outcome;
}

/**
 * The outcome as the ledger and the fees record it: a fee owed (whatever became of it since), else
 * the credits forfeited, consumed or released. Only the deadline is not recorded: it is stated under
 * the policy of today.
 */
async function recordedOutcome(trx: Trx, booking: BookingRow, policy: Policy): Promise<Cancellation> {
  const facts = bookingFacts(booking);
  const fee = await trx.selectFrom('fees').select(['amount', 'currency']).where('practice_id', '=', booking.practice_id).where('booking_id', '=', booking.id).executeTakeFirst();
  const kinds = new Set(
    (await trx.selectFrom('ledger_entries').select('kind').where('practice_id', '=', booking.practice_id).where('booking_id', '=', booking.id).execute()).map((e) => e.kind),
  );
  const outcome = fee ? 'fee' : facts.credits === 0 || booking.status === 'completed' ? 'none' : kinds.has('forfeit') ? 'forfeit' : 'release';
  assert(outcome !== 'release' || kinds.has('release'), `settled booking ${booking.id} released its credits`);
  return cancellationView({ outcome, credits: facts.credits, fee: fee ? { amount: fee.amount, currency: fee.currency } : null, deadline: cancellationDeadline(facts.start, policy) });
}
