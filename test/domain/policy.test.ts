import { describe, it, expect } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import {
  DEFAULT_POLICY,
  cancellationDeadline,
  decideCancellation,
  decideCompletion,
  decideNoShow,
  decideReschedule,
  effectivePolicy,
  type BookingFacts,
  type BookingStatus,
  type Decision,
  type Policy,
} from '../../src/domain/policy.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.parse('2026-04-10T09:00:00Z');
const END = START + HOUR;
const DEADLINE = START - 24 * HOUR;
const FEE = { amount: 2500, currency: 'USD' };

const booking = (fields: Partial<BookingFacts> = {}): BookingFacts => ({ start: START, end: END, status: 'confirmed', credits: 1, ...fields });
const policy = (fields: Partial<Policy> = {}): Policy => ({ ...DEFAULT_POLICY, ...fields });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'allowed';
}

const RELEASED: Partial<Decision> = { outcome: 'release', ledger: 'release', status: 'cancelled', fee: null, credits: 1 };
const FORFEITED: Partial<Decision> = { outcome: 'forfeit', ledger: 'forfeit', status: 'late_cancelled', fee: null, credits: 1 };
const FEE_OWED: Partial<Decision> = { outcome: 'fee', ledger: 'release', status: 'late_cancelled', fee: FEE, credits: 1 };

describe('effectivePolicy', () => {
  it('uses the practice policy when the service has no override', () => {
    expect(effectivePolicy(DEFAULT_POLICY, null)).toEqual(DEFAULT_POLICY);
  });

  it('lets each field of the service override win and inherits the rest', () => {
    const practice = policy({ lateCancel: 'fee', lateCancelFee: FEE });
    expect(effectivePolicy(practice, { windowHours: 48, lateCancelFee: null, noShow: undefined })).toEqual({
      ...practice,
      windowHours: 48,
      lateCancelFee: null,
    });
  });
});

describe('cancellationDeadline', () => {
  it('closes the window windowHours before the start, as instants', () => {
    expect(cancellationDeadline(START, DEFAULT_POLICY)).toBe(DEADLINE);
    expect(cancellationDeadline(START, policy({ windowHours: 0 }))).toBe(START);
  });

  it('is a fixed number of hours even across a DST change', () => {
    // Berlin springs forward on 2026-03-29: 24 h before 10:00 CEST on the 30th is 09:00 CEST on the 29th.
    const start = Date.parse('2026-03-30T08:00:00Z');
    expect(cancellationDeadline(start, DEFAULT_POLICY)).toBe(Date.parse('2026-03-29T08:00:00Z'));
  });
});

describe('a client cancels', () => {
  it.each<[string, number, Partial<Policy>, Partial<Decision>]>([
    ['releases the credit one minute before the deadline', DEADLINE - MINUTE, {}, RELEASED],
    ['releases the credit a week ahead whatever the policy says', START - 7 * 24 * HOUR, { lateCancel: 'fee', lateCancelFee: FEE }, RELEASED],
    ['forfeits the credit when cancelling exactly at the deadline', DEADLINE, {}, FORFEITED],
    ['forfeits the credit when a client cancels inside the window', DEADLINE + MINUTE, {}, FORFEITED],
    ['forfeits the credit one minute before the start', START - MINUTE, { lateCancel: 'forfeit' }, FORFEITED],
    ['releases the credit and charges the fee under a fee policy', DEADLINE + MINUTE, { lateCancel: 'fee', lateCancelFee: FEE }, FEE_OWED],
    ['releases the credit when a fee policy sets no fee', DEADLINE + MINUTE, { lateCancel: 'fee', lateCancelFee: null }, RELEASED],
    ['releases the credit late under a lenient policy', DEADLINE + MINUTE, { lateCancel: 'none' }, RELEASED],
    ['uses the window of the policy', START - 2 * HOUR, { windowHours: 1 }, RELEASED],
  ])('%s', (_story, now, fields, expected) => {
    expect(decideCancellation(booking(), policy(fields), 'client', now)).toEqual({ deadline: START - (fields.windowHours ?? 24) * HOUR, ...expected });
  });

  it.each([
    ['at the start', START],
    ['after the start', START + MINUTE],
    ['after the end', END + MINUTE],
  ])('is refused %s', (_when, now) => {
    expect(refusal(() => decideCancellation(booking(), DEFAULT_POLICY, 'client', now))).toBe('booking_not_cancellable');
  });

  it.each<BookingStatus>(['cancelled', 'late_cancelled', 'completed', 'no_show', 'pending_payment'])('is refused for a %s booking', (status) => {
    expect(refusal(() => decideCancellation(booking({ status }), DEFAULT_POLICY, 'client', DEADLINE - HOUR))).toBe('booking_not_cancellable');
  });

  it('states the outcome it would have before it happens: the same call with the same facts', () => {
    const preview = decideCancellation(booking(), DEFAULT_POLICY, 'client', DEADLINE + MINUTE);
    expect(decideCancellation(booking(), DEFAULT_POLICY, 'client', DEADLINE + MINUTE)).toEqual(preview);
  });
});

describe('a practitioner cancels', () => {
  it.each([
    ['well ahead', DEADLINE - HOUR],
    ['inside the window', DEADLINE + MINUTE],
    ['after the start, before the end', START + MINUTE],
  ])('releases the credit %s by default', (_when, now) => {
    expect(decideCancellation(booking(), DEFAULT_POLICY, 'practitioner', now)).toMatchObject(RELEASED);
    expect(decideCancellation(booking(), DEFAULT_POLICY, 'practitioner', now, { applyPolicy: false })).toMatchObject(RELEASED);
  });

  it.each<[string, number, Partial<Policy>, Partial<Decision>]>([
    ['releases before the deadline', DEADLINE - MINUTE, {}, RELEASED],
    ['forfeits inside the window', DEADLINE + MINUTE, {}, FORFEITED],
    ['forfeits after the start, before the end', START + MINUTE, {}, FORFEITED],
    ['charges the fee inside the window', DEADLINE, { lateCancel: 'fee', lateCancelFee: FEE }, FEE_OWED],
    ['releases inside the window under a lenient policy', START - MINUTE, { lateCancel: 'none' }, RELEASED],
  ])('with applyPolicy, %s', (_story, now, fields, expected) => {
    expect(decideCancellation(booking(), policy(fields), 'practitioner', now, { applyPolicy: true })).toMatchObject(expected);
  });

  it.each([
    ['at the end', END],
    ['after the end', END + MINUTE],
  ])('is refused %s', (_when, now) => {
    expect(refusal(() => decideCancellation(booking(), DEFAULT_POLICY, 'practitioner', now))).toBe('booking_not_cancellable');
    expect(refusal(() => decideCancellation(booking(), DEFAULT_POLICY, 'practitioner', now, { applyPolicy: true }))).toBe('booking_not_cancellable');
  });

  it('is refused for a booking already cancelled', () => {
    expect(refusal(() => decideCancellation(booking({ status: 'cancelled' }), DEFAULT_POLICY, 'practitioner', DEADLINE))).toBe('booking_not_cancellable');
  });
});

describe('a booking not paid in credits', () => {
  const unpaid = booking({ credits: 0 });

  it.each<[string, Partial<Policy>, Partial<Decision>]>([
    ['has nothing to forfeit inside the window', { lateCancel: 'forfeit' }, { outcome: 'none', status: 'late_cancelled', fee: null }],
    ['still owes the fee of a fee policy', { lateCancel: 'fee', lateCancelFee: FEE }, { outcome: 'fee', status: 'late_cancelled', fee: FEE }],
    ['owes nothing under a lenient policy', { lateCancel: 'none' }, { outcome: 'none', status: 'cancelled', fee: null }],
  ])('%s (late)', (_story, fields, expected) => {
    expect(decideCancellation(unpaid, policy(fields), 'client', DEADLINE + MINUTE)).toMatchObject({ ...expected, credits: 0, ledger: null });
  });

  it('is simply cancelled before the deadline', () => {
    expect(decideCancellation(unpaid, DEFAULT_POLICY, 'client', DEADLINE - MINUTE)).toMatchObject({ outcome: 'none', status: 'cancelled', credits: 0, ledger: null });
  });

  it('owes the no-show fee and writes no ledger entry', () => {
    const p = policy({ noShow: 'fee', noShowFee: FEE });
    expect(decideNoShow(unpaid, p, START + MINUTE)).toMatchObject({ outcome: 'fee', fee: FEE, credits: 0, ledger: null, status: 'no_show' });
  });

  it('completes without a ledger entry', () => {
    expect(decideCompletion(unpaid, DEFAULT_POLICY, END)).toMatchObject({ outcome: 'none', credits: 0, ledger: null, status: 'completed' });
  });
});

describe('a practitioner marks a no-show', () => {
  it.each<[string, Partial<Policy>, Partial<Decision>]>([
    ['forfeits the credit by default', {}, { outcome: 'forfeit', ledger: 'forfeit', fee: null }],
    ['releases the credit and charges the fee under a fee policy', { noShow: 'fee', noShowFee: FEE }, { outcome: 'fee', ledger: 'release', fee: FEE }],
    ['releases the credit when a fee policy sets no fee', { noShow: 'fee', noShowFee: null, lateCancelFee: FEE }, { outcome: 'release', ledger: 'release', fee: null }],
    ['releases the credit under a lenient policy', { noShow: 'none' }, { outcome: 'release', ledger: 'release', fee: null }],
  ])('%s', (_story, fields, expected) => {
    expect(decideNoShow(booking(), policy(fields), START + MINUTE)).toEqual({ credits: 1, deadline: DEADLINE, status: 'no_show', ...expected });
  });

  it('is allowed from the start and after the end', () => {
    expect(decideNoShow(booking(), DEFAULT_POLICY, START).status).toBe('no_show');
    expect(decideNoShow(booking(), DEFAULT_POLICY, END + 24 * HOUR).status).toBe('no_show');
  });

  it('is refused before the session has started', () => {
    expect(refusal(() => decideNoShow(booking(), DEFAULT_POLICY, START - MINUTE))).toBe('conflict');
  });

  it('is refused for a booking that is no longer confirmed', () => {
    expect(refusal(() => decideNoShow(booking({ status: 'cancelled' }), DEFAULT_POLICY, START + MINUTE))).toBe('conflict');
  });
});

describe('a session is completed', () => {
  it('consumes the held credits', () => {
    expect(decideCompletion(booking({ credits: 2 }), DEFAULT_POLICY, END)).toEqual({
      outcome: 'none',
      credits: 2,
      fee: null,
      deadline: DEADLINE,
      status: 'completed',
      ledger: 'consume',
    });
  });

  it('may be marked from the start', () => {
    expect(decideCompletion(booking(), DEFAULT_POLICY, START).ledger).toBe('consume');
  });

  it('is refused before the session has started', () => {
    expect(refusal(() => decideCompletion(booking(), DEFAULT_POLICY, START - MINUTE))).toBe('conflict');
  });

  it('is refused for a booking that was a no-show', () => {
    expect(refusal(() => decideCompletion(booking({ status: 'no_show' }), DEFAULT_POLICY, END))).toBe('conflict');
  });
});

describe('a booking is rescheduled', () => {
  it.each<[string, 'client' | 'practitioner', number, Partial<Policy>, Partial<BookingFacts>, string]>([
    ['a client before the deadline', 'client', DEADLINE - MINUTE, {}, {}, 'allowed'],
    ['a client exactly at the deadline', 'client', DEADLINE, {}, {}, 'booking_not_reschedulable'],
    ['a client inside the window', 'client', DEADLINE + MINUTE, {}, {}, 'booking_not_reschedulable'],
    ['a client when the policy forbids it', 'client', DEADLINE - HOUR, { clientReschedule: false }, {}, 'booking_not_reschedulable'],
    ['a client after the start', 'client', START + MINUTE, {}, {}, 'booking_not_cancellable'],
    ['a client on a cancelled booking', 'client', DEADLINE - HOUR, {}, { status: 'cancelled' }, 'booking_not_cancellable'],
    ['a practitioner inside the window', 'practitioner', DEADLINE + MINUTE, {}, {}, 'allowed'],
    ['a practitioner when clients may not', 'practitioner', DEADLINE - HOUR, { clientReschedule: false }, {}, 'allowed'],
    ['a practitioner after the start', 'practitioner', START, {}, {}, 'booking_not_cancellable'],
    ['a practitioner on a completed booking', 'practitioner', DEADLINE - HOUR, {}, { status: 'completed' }, 'booking_not_cancellable'],
  ])('by %s: %s', (_story, actor, now, fields, facts, expected) => {
    expect(refusal(() => decideReschedule(booking(facts), policy(fields), actor, now))).toBe(expected);
  });
});
