import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDialect, TEST_START, type TestContext } from '../support/app.js';
import { as, expectOk, HOUR, MINUTE, shift, type Caller } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient } from '../support/scenario.js';

/*
 * API.md: "Repeating a state change that already happened … answers 200 with the stored outcome"
 * (review S4). A second no-show or complete answers what the first did, whoever or whatever made
 * the first (the practitioner, the completion job) and whatever the policy says since; it moves no
 * credit and owes no second fee. A different state change on a settled booking stays 409.
 */

const START = '2026-03-04T10:00:00.000Z'; // Wednesday, London on GMT
const DEADLINE = '2026-03-03T10:00:00.000Z';
const usd = (amount: number) => ({ amount, currency: 'USD' });

interface Booked {
  practitioner: Caller;
  clientId: string;
  bookingId: string;
}

async function bookedSession(ctx: TestContext, policy?: object): Promise<Booked> {
  const { practitioner: p, service, pkg } = await setUpPractice(ctx);
  const practitioner = as(ctx, p.headers);
  if (policy) expectOk(await practitioner('PATCH', '/practice', { policy }));
  const signedIn = await signInClient(ctx, p.practice.slug);
  const client = as(ctx, signedIn.headers);
  expectOk(await client('POST', '/me/purchases', { packageId: pkg.id }), 201);
  const booked = await client('POST', '/me/bookings', { serviceId: service.id, start: START });
  expectOk(booked, 201);
  return { practitioner, clientId: signedIn.id, bookingId: booked.json().booking.id };
}

async function ledgerAndFees(s: Booked) {
  const detail = await s.practitioner('GET', `/clients/${s.clientId}`);
  expectOk(detail);
  const { ledger, fees, credits } = detail.json();
  return { ledger, fees, credits };
}

describeEachDialect('repeating a no-show or a completion', (ctx) => {
  beforeEach(() => ctx.clock.set(TEST_START));
  afterEach(() => expectInvariants(ctx));

  it('answers a repeated no-show 200 with the stored outcome, even after the policy changed, and owes no second fee', async () => {
    const s = await bookedSession(ctx, { noShow: 'fee', noShowFee: usd(4000) });
    ctx.clock.set(shift(START, 10 * MINUTE));
    const first = await s.practitioner('POST', `/bookings/${s.bookingId}/no-show`, {});
    expectOk(first);
    expect(first.json().outcome).toEqual({ outcome: 'fee', credits: 1, fee: usd(4000), deadline: DEADLINE });
    const after = await ledgerAndFees(s);

    expectOk(await s.practitioner('PATCH', '/practice', { policy: { noShow: 'forfeit' } }));
    ctx.clock.advance(HOUR);
    const again = await s.practitioner('POST', `/bookings/${s.bookingId}/no-show`, {});
    expectOk(again);
    expect(again.json()).toEqual(first.json());
    expect(await ledgerAndFees(s)).toEqual(after);
    expect(after.fees).toHaveLength(1);
  });

  it('answers a repeated complete 200 with the stored outcome and consumes nothing more', async () => {
    const s = await bookedSession(ctx);
    ctx.clock.set(shift(START, 10 * MINUTE));
    const first = await s.practitioner('POST', `/bookings/${s.bookingId}/complete`, {});
    expectOk(first);
    expect(first.json().outcome).toEqual({ outcome: 'none', credits: 1, fee: null, deadline: DEADLINE });
    const after = await ledgerAndFees(s);
    expect(after.credits).toEqual({ available: 4, held: 0, used: 1, expired: 0 });

    const again = await s.practitioner('POST', `/bookings/${s.bookingId}/complete`, { reason: 'clicked twice' });
    expectOk(again);
    expect(again.json()).toEqual(first.json());
    expect(await ledgerAndFees(s)).toEqual(after);
  });

  it('keeps a different state change on a settled booking a 409: complete after a no-show, a no-show after complete', async () => {
    const missed = await bookedSession(ctx, { noShow: 'forfeit' });
    ctx.clock.set(shift(START, 10 * MINUTE));
    expectOk(await missed.practitioner('POST', `/bookings/${missed.bookingId}/no-show`, {}));
    const before = await ledgerAndFees(missed);
    const completed = await missed.practitioner('POST', `/bookings/${missed.bookingId}/complete`, {});
    expect(completed.statusCode, completed.body).toBe(409);
    expect(completed.json().code).toBe('conflict');
    expect(await ledgerAndFees(missed)).toEqual(before);

    ctx.clock.set(TEST_START);
    const attended = await bookedSession(ctx);
    ctx.clock.set(shift(START, 10 * MINUTE));
    expectOk(await attended.practitioner('POST', `/bookings/${attended.bookingId}/complete`, {}));
    const noShow = await attended.practitioner('POST', `/bookings/${attended.bookingId}/no-show`, {});
    expect(noShow.statusCode, noShow.body).toBe(409);
    expect(noShow.json().code).toBe('conflict');
  });

  it('answers a repeat on a booking settled before outcomes were stored with the outcome its ledger and fee record', async () => {
    const missed = await bookedSession(ctx, { noShow: 'fee', noShowFee: usd(4000) });
    ctx.clock.set(shift(START, 10 * MINUTE));
    const first = await missed.practitioner('POST', `/bookings/${missed.bookingId}/no-show`, {});
    expectOk(first);
    ctx.clock.set(TEST_START);
    const attended = await bookedSession(ctx);
    ctx.clock.set(shift(START, 10 * MINUTE));
    const completed = await attended.practitioner('POST', `/bookings/${attended.bookingId}/complete`, {});
    expectOk(completed);
    // Rows settled by an earlier version kept no outcome.
    await ctx.db.kysely.updateTable('bookings').set({ cancellation_json: null }).where('id', 'in', [missed.bookingId, attended.bookingId]).execute();

    const missedAgain = await missed.practitioner('POST', `/bookings/${missed.bookingId}/no-show`, {});
    expectOk(missedAgain);
    expect(missedAgain.json()).toEqual(first.json());
    const attendedAgain = await attended.practitioner('POST', `/bookings/${attended.bookingId}/complete`, {});
    expectOk(attendedAgain);
    expect(attendedAgain.json()).toEqual(completed.json());
  });
});

describe('a completion the job made', () => {
  describeEachDialect(
    'then the practitioner’s complete',
    (ctx) => {
      afterEach(() => expectInvariants(ctx));

      it('answers the practitioner’s complete 200 with the job’s outcome once the job has completed the session', async () => {
        const s = await bookedSession(ctx);
        ctx.clock.set(shift(START, 2 * HOUR)); // an hour after the end
        await ctx.app.jobs.tick();
        const detail = await s.practitioner('GET', `/clients/${s.clientId}`);
        expect(detail.json().bookings[0]).toMatchObject({ id: s.bookingId, status: 'completed' });
        const res = await s.practitioner('POST', `/bookings/${s.bookingId}/complete`, {});
        expectOk(res);
        expect(res.json()).toMatchObject({ booking: { id: s.bookingId, status: 'completed' }, outcome: { outcome: 'none', credits: 1, fee: null, deadline: DEADLINE } });
        expect((await ledgerAndFees(s)).credits).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
      });
    },
    { config: { completeAfterMinutes: 30 } },
  );
});
