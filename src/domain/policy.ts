/**
 * The cancellation policy (DESIGN.md "Cancellation policy"): one pure function per event decides
 * the outcome, so the preview shown to a client ("cancelling now uses your credit") and the
 * cancellation itself cannot disagree.
 */
import { DomainError, assert } from './errors.js';

export type PolicyAction = 'forfeit' | 'fee' | 'none';

/** Integer minor units, ISO 4217. */
export interface Money {
  amount: number;
  currency: string;
}

export interface Policy {
  windowHours: number;
  lateCancel: PolicyAction;
  noShow: PolicyAction;
  lateCancelFee: Money | null;
  noShowFee: Money | null;
  clientReschedule: boolean;
  /** Refuse new bookings while the client owes a fee. */
  blockBookingWhileFeeOwed: boolean;
}

/** Longest cancellation window (30 days). */
export const WINDOW_HOURS_MAX = 720;

export const DEFAULT_POLICY: Policy = {
  windowHours: 24,
  lateCancel: 'forfeit',
  noShow: 'forfeit',
  lateCancelFee: null,
  noShowFee: null,
  clientReschedule: true,
  blockBookingWhileFeeOwed: false,
};

/** The service's override wins field by field; an absent (undefined) field inherits, an explicit null fee clears. */
export function effectivePolicy(practice: Policy, serviceOverride: Partial<Policy> | null): Policy {
  const result: Policy = { ...practice };
  for (const [key, value] of Object.entries(serviceOverride ?? {})) {
    if (value !== undefined && key in result) Object.assign(result, { [key]: value });
  }
  return result;
}

export type BookingStatus = 'confirmed' | 'cancelled' | 'late_cancelled' | 'completed' | 'no_show' | 'pending_payment';

export interface BookingFacts {
  start: number;
  end: number;
  status: BookingStatus;
  /** Credits held for the booking; 0 if it was not paid in credits. */
  credits: number;
}

export type Outcome = 'release' | 'forfeit' | 'fee' | 'none';

export interface Decision {
  outcome: Outcome;
  /** The credits concerned: those the booking holds. */
  credits: number;
  fee: Money | null;
  deadline: number;
  /** The booking's new status. */
  status: BookingStatus;
  /** The entry to write for each held credit; null when nothing is held. */
  ledger: 'release' | 'forfeit' | 'consume' | null;
}

const HOUR_MS = 3_600_000;

export function cancellationDeadline(start: number, policy: Policy): number {
  assert(
    Number.isFinite(policy.windowHours) && policy.windowHours >= 0 && policy.windowHours <= WINDOW_HOURS_MAX,
    `windowHours is in 0..${WINDOW_HOURS_MAX}, got ${policy.windowHours}`,
  );
  return start - policy.windowHours * HOUR_MS;
}

/** What a policy action does to the held credits, before knowing whether any are held. */
interface Resolution {
  outcome: 'release' | 'forfeit' | 'fee';
  fee: Money | null;
}

/** A `fee` action without a fee amount has nothing to charge, so it degrades to a release. */
function resolve(action: PolicyAction, fee: Money | null): Resolution {
  if (action === 'forfeit') return { outcome: 'forfeit', fee: null };
  if (action === 'fee' && fee !== null) return { outcome: 'fee', fee };
  return { outcome: 'release', fee: null };
}

function decision(booking: BookingFacts, policy: Policy, status: BookingStatus, r: Resolution): Decision {
  const deadline = cancellationDeadline(booking.start, policy);
  if (booking.credits === 0) {
    return { outcome: r.outcome === 'fee' ? 'fee' : 'none', credits: 0, fee: r.fee, deadline, status, ledger: null };
  }
  const ledger = r.outcome === 'forfeit' ? 'forfeit' : 'release';
  return { outcome: r.outcome, credits: booking.credits, fee: r.fee, deadline, status, ledger };
}

function checkFacts(booking: BookingFacts): void {
  assert(booking.start < booking.end, 'a booking ends after it starts');
  assert(Number.isSafeInteger(booking.credits) && booking.credits >= 0, `held credits are a count, got ${booking.credits}`);
}

const RELEASE: Resolution = { outcome: 'release', fee: null };

/**
 * A client may cancel until the start; a practitioner until the end. A practitioner's cancel
 * releases unless `applyPolicy`, in which case the client's rules apply by time and the span
 * between start and end counts as late.
 */
export function decideCancellation(
  booking: BookingFacts,
  policy: Policy,
  actor: 'client' | 'practitioner',
  now: number,
  opts: { applyPolicy?: boolean } = {},
): Decision {
  checkFacts(booking);
  if (booking.status !== 'confirmed') {
    throw new DomainError('booking_not_cancellable', `the booking is ${booking.status}`);
  }
  const closesAt = actor === 'client' ? booking.start : booking.end;
  if (now >= closesAt) {
    throw new DomainError('booking_not_cancellable', `the session has already ${actor === 'client' ? 'started' : 'ended'}`);
  }
  const byPolicy = actor === 'client' || opts.applyPolicy === true;
  if (!byPolicy || now < cancellationDeadline(booking.start, policy)) {
    return decision(booking, policy, 'cancelled', RELEASE);
  }
  const r = resolve(policy.lateCancel, policy.lateCancelFee);
  return decision(booking, policy, r.outcome === 'release' ? 'cancelled' : 'late_cancelled', r);
}

function checkSettleable(booking: BookingFacts, now: number): void {
  checkFacts(booking);
  if (booking.status !== 'confirmed') throw new DomainError('conflict', `the booking is ${booking.status}`);
  if (now < booking.start) throw new DomainError('conflict', 'the session has not started');
}

export function decideNoShow(booking: BookingFacts, policy: Policy, now: number): Decision {
  checkSettleable(booking, now);
  return decision(booking, policy, 'no_show', resolve(policy.noShow, policy.noShowFee));
}

/**
 * The session took place: the held credits are consumed. The API's Cancellation outcome has no
 * "consume", and "release"/"forfeit" would mislead (credits back / a penalty), so the outcome is
 * `none` (nothing released, forfeited or owed) while `ledger: 'consume'` carries the move.
 */
export function decideCompletion(booking: BookingFacts, policy: Policy, now: number): Decision {
  checkSettleable(booking, now);
  const deadline = cancellationDeadline(booking.start, policy);
  const ledger = booking.credits > 0 ? 'consume' : null;
  return { outcome: 'none', credits: booking.credits, fee: null, deadline, status: 'completed', ledger };
}

/** Throws unless `actor` may move this booking now; the new slot and its credits are checked elsewhere. */
export function decideReschedule(booking: BookingFacts, policy: Policy, actor: 'client' | 'practitioner', now: number): void {
  checkFacts(booking);
  if (booking.status !== 'confirmed') {
    throw new DomainError('booking_not_cancellable', `the booking is ${booking.status}`);
  }
  if (now >= booking.start) throw new DomainError('booking_not_cancellable', 'the session has already started');
  if (actor === 'practitioner') return;
  if (!policy.clientReschedule) {
    throw new DomainError('booking_not_reschedulable', 'this service does not allow clients to reschedule');
  }
  if (now >= cancellationDeadline(booking.start, policy)) {
    throw new DomainError('booking_not_reschedulable', 'the cancellation window has closed');
  }
}
