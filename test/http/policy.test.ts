import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDialect, TEST_START, type TestContext } from '../support/app.js';
import { as, expectOk, HOUR, MINUTE, shift, type Caller, type LedgerEntry, type Reply } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

/*
 * The cancellation policy over HTTP (DESIGN.md "Cancellation policy", API.md Policy/Cancellation):
 * one test per row of the table and per rule around it. The clock stands at Monday 2026-03-02
 * 08:00Z before each test; the practice (Europe/London, GMT in early March, so local = UTC) is
 * open Mon–Fri 09:00–17:00 and most tests book Wednesday 4 March 10:00–11:00.
 */

const START = '2026-03-04T10:00:00.000Z';
const END = '2026-03-04T11:00:00.000Z';
/** start − windowHours (24 by default), as a UTC instant with milliseconds. */
const DEADLINE = '2026-03-03T10:00:00.000Z';
const THURSDAY = '2026-03-05T10:00:00.000Z';
const usd = (amount: number) => ({ amount, currency: 'USD' });
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface Session {
  practitioner: Caller;
  client: Caller;
  practitionerHeaders: Record<string, string>;
  clientHeaders: Record<string, string>;
  userId: string;
  clientId: string;
  slug: string;
  serviceId: string;
  packageId: string;
  bookingId: string;
}

function expectProblem(res: Reply, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status, code });
}

/** A practice with `policy` (patched onto the default), a client who bought 5 credits and booked `start` (Wednesday 10:00 by default). */
async function bookedSession(ctx: TestContext, options: { policy?: object; service?: Record<string, unknown>; start?: string } = {}): Promise<Session> {
  const { practitioner: p, service, pkg } = await setUpPractice(ctx, { service: options.service });
  const practitioner = as(ctx, p.headers);
  if (options.policy) expectOk(await practitioner('PATCH', '/practice', { policy: options.policy }));
  const signedIn = await signInClient(ctx, p.practice.slug);
  const client = as(ctx, signedIn.headers);
  expectOk(await client('POST', '/me/purchases', { packageId: pkg.id }), 201);
  const booked = await client('POST', '/me/bookings', { serviceId: service.id, start: options.start ?? START });
  expectOk(booked, 201);
  expect(booked.json().booking).toMatchObject({ status: 'confirmed', payment: { kind: 'credits', credits: 1 } });
  return {
    practitioner,
    client,
    practitionerHeaders: p.headers,
    clientHeaders: signedIn.headers,
    userId: p.user.id,
    clientId: signedIn.id,
    slug: p.practice.slug,
    serviceId: service.id,
    packageId: pkg.id,
    bookingId: booked.json().booking.id,
  };
}

async function creditsOf(s: Session) {
  const me = await s.client('GET', '/me');
  expectOk(me);
  return me.json().credits;
}

async function clientDetail(s: Session) {
  const res = await s.practitioner('GET', `/clients/${s.clientId}`);
  expectOk(res);
  return res.json() as { ledger: LedgerEntry[]; lots: { id: string; available: number; held: number; used: number; expired: number }[]; fees: unknown[]; credits: unknown };
}

async function bookingOf(s: Session, bookingId = s.bookingId) {
  const res = await s.client('GET', '/me/bookings');
  expectOk(res);
  return res.json().items.find((b: { id: string }) => b.id === bookingId);
}

const preview = (s: Session, bookingId = s.bookingId) => s.client('GET', `/me/bookings/${bookingId}/cancellation`);
const clientCancel = (s: Session, payload?: object, bookingId = s.bookingId) => s.client('POST', `/me/bookings/${bookingId}/cancel`, payload);
const practitionerCancel = (s: Session, payload?: object, bookingId = s.bookingId) => s.practitioner('POST', `/bookings/${bookingId}/cancel`, payload);

describeEachDialect('cancellation policy over HTTP', (ctx) => {
  beforeEach(() => ctx.clock.set(TEST_START));
  afterEach(() => expectInvariants(ctx));

  describe('a client cancels', () => {
    it('releases the credit when a client cancels one minute before the deadline', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'forfeit' } });
      ctx.clock.set(shift(DEADLINE, -MINUTE));

      const shown = await preview(s);
      expectOk(shown);
      expect(shown.json()).toEqual({ outcome: 'release', credits: 1, fee: null, deadline: DEADLINE });

      const res = await clientCancel(s);
      expectOk(res);
      expect(res.json().booking).toMatchObject({ id: s.bookingId, status: 'cancelled' });
      expect(res.json().outcome).toEqual(shown.json());
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });
      expect((await clientDetail(s)).ledger[0]).toMatchObject({ kind: 'release', amount: 1, bookingId: s.bookingId, actor: { kind: 'client', id: s.clientId } });
    });

    it('forfeits the credit when a client cancels one minute after the deadline under lateCancel forfeit', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'forfeit' } });
      ctx.clock.set(shift(DEADLINE, MINUTE));

      const res = await clientCancel(s);
      expectOk(res);
      expect(res.json().booking).toMatchObject({ id: s.bookingId, status: 'late_cancelled' });
      expect(res.json().outcome).toEqual({ outcome: 'forfeit', credits: 1, fee: null, deadline: DEADLINE });
      expect(await creditsOf(s)).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
      expect((await clientDetail(s)).ledger[0]).toMatchObject({ kind: 'forfeit', amount: 1, bookingId: s.bookingId, actor: { kind: 'client', id: s.clientId } });
    });

    it('releases the credit and records a fee owed, shown in GET /fees and GET /me, when a client cancels late under lateCancel fee', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'fee', lateCancelFee: usd(2500) } });
      ctx.clock.set(shift(DEADLINE, MINUTE));

      const res = await clientCancel(s);
      expectOk(res);
      expect(res.json().booking).toMatchObject({ id: s.bookingId, status: 'late_cancelled' });
      expect(res.json().outcome).toEqual({ outcome: 'fee', credits: 1, fee: usd(2500), deadline: DEADLINE });
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });
      expect((await clientDetail(s)).ledger[0]).toMatchObject({ kind: 'release', amount: 1, bookingId: s.bookingId });

      const owed = { id: expect.any(String), clientId: s.clientId, bookingId: s.bookingId, amount: usd(2500), status: 'owed', createdAt: shift(DEADLINE, MINUTE) };
      const fees = await s.practitioner('GET', '/fees');
      expectOk(fees);
      expect(fees.json().items).toEqual([owed]);
      expect((await s.client('GET', '/me')).json().fees).toEqual([owed]);
      expect((await clientDetail(s)).fees).toEqual([owed]);
    });

    it('releases the credit when a client cancels late under lateCancel none', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'none' } });
      ctx.clock.set(shift(DEADLINE, MINUTE));

      const res = await clientCancel(s);
      expectOk(res);
      expect(res.json().booking).toMatchObject({ status: 'cancelled' });
      expect(res.json().outcome).toEqual({ outcome: 'release', credits: 1, fee: null, deadline: DEADLINE });
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });
      expect((await s.practitioner('GET', '/fees')).json().items).toEqual([]);
    });

    it('refuses a client cancel after the start with booking_not_cancellable, changing nothing', async () => {
      const s = await bookedSession(ctx);
      ctx.clock.set(shift(START, MINUTE));
      const before = await clientDetail(s);

      expectProblem(await preview(s), 409, 'booking_not_cancellable');
      expectProblem(await clientCancel(s), 409, 'booking_not_cancellable');
      expect((await bookingOf(s)).status).toBe('confirmed');
      expect(await creditsOf(s)).toEqual({ available: 4, held: 1, used: 0, expired: 0 });
      expect((await clientDetail(s)).ledger).toEqual(before.ledger);
    });
  });

  describe('the practitioner cancels', () => {
    it('releases the credit when the practitioner cancels at any time before the end, even inside the window and after the start', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'forfeit' } });
      ctx.clock.set(shift(START, 30 * MINUTE));

      const res = await practitionerCancel(s, { reason: 'practitioner unwell' });
      expectOk(res);
      expect(res.json().booking).toMatchObject({ id: s.bookingId, status: 'cancelled' });
      expect(res.json().outcome).toEqual({ outcome: 'release', credits: 1, fee: null, deadline: DEADLINE });
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });
      expect((await clientDetail(s)).ledger[0]).toMatchObject({ kind: 'release', actor: { kind: 'practitioner', id: s.userId }, reason: 'practitioner unwell' });
    });

    it('refuses a practitioner cancel at or after the end with booking_not_cancellable', async () => {
      const s = await bookedSession(ctx);
      ctx.clock.set(END);
      expectProblem(await practitionerCancel(s), 409, 'booking_not_cancellable');
      expect((await bookingOf(s)).status).toBe('confirmed');
    });

    it('forfeits the credit when the practitioner cancels inside the window with applyPolicy true', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'forfeit' } });
      ctx.clock.set(shift(DEADLINE, MINUTE));

      const res = await practitionerCancel(s, { applyPolicy: true, reason: 'client did not confirm' });
      expectOk(res);
      expect(res.json().booking).toMatchObject({ status: 'late_cancelled' });
      expect(res.json().outcome).toEqual({ outcome: 'forfeit', credits: 1, fee: null, deadline: DEADLINE });
      expect(await creditsOf(s)).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
      expect((await clientDetail(s)).ledger[0]).toMatchObject({ kind: 'forfeit', actor: { kind: 'practitioner', id: s.userId }, reason: 'client did not confirm' });
    });

    it('releases the credit when the practitioner cancels with applyPolicy true before the deadline', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'forfeit' } });
      ctx.clock.set(shift(DEADLINE, -MINUTE));

      const res = await practitionerCancel(s, { applyPolicy: true });
      expectOk(res);
      expect(res.json().booking).toMatchObject({ status: 'cancelled' });
      expect(res.json().outcome).toEqual({ outcome: 'release', credits: 1, fee: null, deadline: DEADLINE });
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });
    });
  });

  describe('no-show and completion', () => {
    it('refuses a no-show before the start with 409', async () => {
      const s = await bookedSession(ctx);
      ctx.clock.set(shift(START, -MINUTE));
      const res = await s.practitioner('POST', `/bookings/${s.bookingId}/no-show`);
      expect(res.statusCode, res.body).toBe(409);
      expect((await bookingOf(s)).status).toBe('confirmed');
      expect(await creditsOf(s)).toEqual({ available: 4, held: 1, used: 0, expired: 0 });
    });

    it('forfeits the credit when the practitioner marks a no-show after the start under noShow forfeit', async () => {
      const s = await bookedSession(ctx, { policy: { noShow: 'forfeit' } });
      ctx.clock.set(shift(START, 10 * MINUTE));

      const res = await s.practitioner('POST', `/bookings/${s.bookingId}/no-show`);
      expectOk(res);
      expect(res.json().booking).toMatchObject({ status: 'no_show' });
      expect(res.json().outcome).toMatchObject({ outcome: 'forfeit', credits: 1, fee: null });
      expect(await creditsOf(s)).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
      expect((await clientDetail(s)).ledger[0]).toMatchObject({ kind: 'forfeit', bookingId: s.bookingId, actor: { kind: 'practitioner', id: s.userId } });
    });

    it('releases the credit and records a fee owed when the practitioner marks a no-show under noShow fee', async () => {
      const s = await bookedSession(ctx, { policy: { noShow: 'fee', noShowFee: usd(4000) } });
      ctx.clock.set(shift(START, 10 * MINUTE));

      const res = await s.practitioner('POST', `/bookings/${s.bookingId}/no-show`);
      expectOk(res);
      expect(res.json().booking).toMatchObject({ status: 'no_show' });
      expect(res.json().outcome).toMatchObject({ outcome: 'fee', credits: 1, fee: usd(4000) });
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });
      expect((await clientDetail(s)).ledger[0]).toMatchObject({ kind: 'release', bookingId: s.bookingId });
      const owed = { id: expect.any(String), clientId: s.clientId, bookingId: s.bookingId, amount: usd(4000), status: 'owed', createdAt: shift(START, 10 * MINUTE) };
      expect((await s.practitioner('GET', '/fees')).json().items).toEqual([owed]);
      expect((await s.client('GET', '/me')).json().fees).toEqual([owed]);
    });

    it('releases the credit when the practitioner marks a no-show under noShow none', async () => {
      const s = await bookedSession(ctx, { policy: { noShow: 'none' } });
      ctx.clock.set(shift(START, 10 * MINUTE));

      const res = await s.practitioner('POST', `/bookings/${s.bookingId}/no-show`);
      expectOk(res);
      expect(res.json().booking).toMatchObject({ status: 'no_show' });
      expect(res.json().outcome).toMatchObject({ outcome: 'release', credits: 1, fee: null });
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });
      expect((await s.practitioner('GET', '/fees')).json().items).toEqual([]);
    });

    it('refuses completing a session before the start with 409', async () => {
      const s = await bookedSession(ctx);
      ctx.clock.set(shift(START, -MINUTE));
      const res = await s.practitioner('POST', `/bookings/${s.bookingId}/complete`);
      expect(res.statusCode, res.body).toBe(409);
      expect((await bookingOf(s)).status).toBe('confirmed');
    });

    it('consumes the credit when the practitioner completes a session after the start', async () => {
      const s = await bookedSession(ctx);
      ctx.clock.set(shift(START, 10 * MINUTE));

      const res = await s.practitioner('POST', `/bookings/${s.bookingId}/complete`);
      expectOk(res);
      expect(res.json().booking).toMatchObject({ id: s.bookingId, status: 'completed' });
      expect(await creditsOf(s)).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
      expect((await clientDetail(s)).ledger[0]).toMatchObject({ kind: 'consume', amount: 1, bookingId: s.bookingId, actor: { kind: 'practitioner', id: s.userId } });
      // Settled: neither a no-show nor a cancel applies any more.
      expect((await s.practitioner('POST', `/bookings/${s.bookingId}/no-show`)).statusCode).toBe(409);
      expectProblem(await practitionerCancel(s), 409, 'booking_not_cancellable');
      expect(await creditsOf(s)).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
    });
  });

  describe('waivers and fees', () => {
    it('restores a forfeited credit when the practitioner waives it, recording actor and reason; a second waive is a conflict', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'forfeit' } });
      ctx.clock.set(shift(DEADLINE, MINUTE));
      expectOk(await clientCancel(s));
      const lotId = (await clientDetail(s)).ledger[0]!.lotId;

      const waived = await s.practitioner('POST', `/bookings/${s.bookingId}/waive`, { reason: 'doctor’s note' });
      expectOk(waived);
      expect(waived.json().booking).toMatchObject({ id: s.bookingId, status: 'late_cancelled' });
      expect(waived.json().entry).toMatchObject({ kind: 'restore', amount: 1, lotId, bookingId: s.bookingId, actor: { kind: 'practitioner', id: s.userId }, reason: 'doctor’s note' });
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });
      expect((await clientDetail(s)).ledger[0]).toEqual(waived.json().entry);

      expectProblem(await s.practitioner('POST', `/bookings/${s.bookingId}/waive`, { reason: 'again' }), 409, 'conflict');
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });
      expect((await bookingOf(s)).status).toBe('late_cancelled');
    });

    it('voids an owed fee when the practitioner waives the booking; a second waive is a conflict', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'fee', lateCancelFee: usd(2500) } });
      ctx.clock.set(shift(DEADLINE, MINUTE));
      expectOk(await clientCancel(s));
      const ledgerBefore = (await clientDetail(s)).ledger;

      const waived = await s.practitioner('POST', `/bookings/${s.bookingId}/waive`, { reason: 'first late cancel' });
      expectOk(waived);
      expect(waived.json()).toMatchObject({ booking: { id: s.bookingId, status: 'late_cancelled' }, entry: null, fee: { bookingId: s.bookingId, status: 'waived' } });
      expect((await s.practitioner('GET', '/fees')).json().items).toEqual([expect.objectContaining({ bookingId: s.bookingId, status: 'waived', amount: usd(2500) })]);
      expect((await s.practitioner('GET', '/fees?status=owed')).json().items).toEqual([]);
      expect((await s.client('GET', '/me')).json().fees).toEqual([expect.objectContaining({ bookingId: s.bookingId, status: 'waived' })]);
      // The credits were released by the cancel; voiding the fee moves none.
      expect((await clientDetail(s)).ledger).toEqual(ledgerBefore);
      expect(await creditsOf(s)).toEqual({ available: 5, held: 0, used: 0, expired: 0 });

      expectProblem(await s.practitioner('POST', `/bookings/${s.bookingId}/waive`, { reason: 'again' }), 409, 'conflict');
    });

    it('voids an owed fee through POST /fees/{id}/waive', async () => {
      const s = await bookedSession(ctx, { policy: { noShow: 'fee', noShowFee: usd(4000) } });
      ctx.clock.set(shift(START, 10 * MINUTE));
      expectOk(await s.practitioner('POST', `/bookings/${s.bookingId}/no-show`));
      const fee = (await s.practitioner('GET', '/fees')).json().items[0];

      const waived = await s.practitioner('POST', `/fees/${fee.id}/waive`, { reason: 'traffic accident' });
      expectOk(waived);
      expect(waived.json()).toEqual({ ...fee, status: 'waived' });
      expect((await s.client('GET', '/me')).json().fees).toEqual([{ ...fee, status: 'waived' }]);
      expectProblem(await s.practitioner('POST', `/fees/${fee.id}/paid`), 409, 'conflict');
    });

    it('marks an owed fee paid; then it can no longer be waived', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'fee', lateCancelFee: usd(2500) } });
      ctx.clock.set(shift(DEADLINE, MINUTE));
      expectOk(await clientCancel(s));
      const fee = (await s.practitioner('GET', '/fees')).json().items[0];
      expect(fee).toMatchObject({ bookingId: s.bookingId, status: 'owed' });

      const paid = await s.practitioner('POST', `/fees/${fee.id}/paid`);
      expectOk(paid);
      expect(paid.json()).toEqual({ ...fee, status: 'paid' });
      expect((await s.practitioner('GET', '/fees?status=paid')).json().items).toEqual([{ ...fee, status: 'paid' }]);
      expect((await s.practitioner('GET', '/fees?status=owed')).json().items).toEqual([]);
      expect((await s.client('GET', '/me')).json().fees).toEqual([{ ...fee, status: 'paid' }]);
      // Marking it paid again is a repeat of what happened; waiving a paid fee is not.
      expect((await s.practitioner('POST', `/fees/${fee.id}/paid`)).json()).toEqual({ ...fee, status: 'paid' });
      expectProblem(await s.practitioner('POST', `/fees/${fee.id}/waive`), 409, 'conflict');
      expectProblem(await s.practitioner('POST', `/bookings/${s.bookingId}/waive`, { reason: 'too late' }), 409, 'conflict');
    });
  });

  describe('the preview and repeated cancels', () => {
    const cases = [
      { when: 'before the deadline', policy: { lateCancel: 'forfeit' }, at: shift(DEADLINE, -MINUTE), outcome: 'release', fee: null, status: 'cancelled', windowHours: 24 },
      { when: 'after the deadline under forfeit', policy: { lateCancel: 'forfeit' }, at: shift(DEADLINE, MINUTE), outcome: 'forfeit', fee: null, status: 'late_cancelled', windowHours: 24 },
      { when: 'after the deadline under fee', policy: { lateCancel: 'fee', lateCancelFee: usd(1500) }, at: shift(DEADLINE, MINUTE), outcome: 'fee', fee: usd(1500), status: 'late_cancelled', windowHours: 24 },
      { when: 'after the deadline under none', policy: { lateCancel: 'none' }, at: shift(DEADLINE, MINUTE), outcome: 'release', fee: null, status: 'cancelled', windowHours: 24 },
      { when: 'with a 2-hour window, 3 hours before the start', policy: { windowHours: 2 }, at: shift(START, -3 * HOUR), outcome: 'release', fee: null, status: 'cancelled', windowHours: 2 },
      { when: 'with a 2-hour window, 1 hour before the start', policy: { windowHours: 2 }, at: shift(START, -HOUR), outcome: 'forfeit', fee: null, status: 'late_cancelled', windowHours: 2 },
    ] as const;
    for (const c of cases) {
      it(`the preview states the outcome and the deadline (start − windowHours, UTC with ms), and cancelling applies exactly that: ${c.when}`, async () => {
        const s = await bookedSession(ctx, { policy: c.policy });
        ctx.clock.set(c.at);
        const deadline = shift(START, -c.windowHours * HOUR);

        const shown = await preview(s);
        expectOk(shown);
        expect(shown.json()).toEqual({ outcome: c.outcome, credits: 1, fee: c.fee, deadline });
        expect(shown.json().deadline).toMatch(ISO_MS);
        // Looking does nothing.
        expect((await bookingOf(s)).status).toBe('confirmed');

        const res = await clientCancel(s);
        expectOk(res);
        expect(res.json().outcome).toEqual(shown.json());
        expect(res.json().booking.status).toBe(c.status);
      });
    }

    for (const c of cases.slice(0, 4)) {
      it(`answers a repeated cancel of a cancelled booking with 200 and the same outcome, changing nothing: ${c.when}`, async () => {
        const s = await bookedSession(ctx, { policy: c.policy });
        ctx.clock.set(c.at);
        const first = await clientCancel(s);
        expectOk(first);
        const after = await clientDetail(s);

        // Later, even after the start, by the client and by the practitioner.
        ctx.clock.set(shift(START, 5 * MINUTE));
        const again = await clientCancel(s);
        expectOk(again);
        expect(again.json()).toEqual(first.json());
        const byPractitioner = await practitionerCancel(s);
        expectOk(byPractitioner);
        expect(byPractitioner.json()).toEqual(first.json());

        const now = await clientDetail(s);
        expect(now.ledger).toEqual(after.ledger);
        expect(now.fees).toEqual(after.fees);
        expect(now.credits).toEqual(after.credits);
      });
    }

    it('answers a repeated cancel with the outcome it stored, even after the practice changed its policy', async () => {
      const s = await bookedSession(ctx, { policy: { lateCancel: 'forfeit' } });
      ctx.clock.set(shift(DEADLINE, MINUTE));
      const first = await clientCancel(s);
      expectOk(first);
      expect(first.json().outcome).toEqual({ outcome: 'forfeit', credits: 1, fee: null, deadline: DEADLINE });

      expectOk(await s.practitioner('PATCH', '/practice', { policy: { windowHours: 48 } }));
      const again = await clientCancel(s);
      expectOk(again);
      expect(again.json()).toEqual(first.json());
    });

    it('answers a repeated cancel with the outcome it stored after a reschedule re-paid the booking from another lot', async () => {
      const { practitioner: p, service, pkg } = await setUpPractice(ctx);
      const practitioner = as(ctx, p.headers);
      const signedIn = await signInClient(ctx, p.practice.slug);
      const client = as(ctx, signedIn.headers);
      // A 7-day lot (expires at the end of Monday 9 March, London) pays first; the package lot later.
      expectOk(await practitioner('POST', `/clients/${signedIn.id}/grants`, { credits: 1, validityDays: 7, reason: 'trial session' }), 201);
      expectOk(await client('POST', '/me/purchases', { packageId: pkg.id }), 201);
      const booked = await client('POST', '/me/bookings', { serviceId: service.id, start: '2026-03-09T10:00:00.000Z' });
      expectOk(booked, 201);
      const bookingId = booked.json().booking.id;
      expectOk(await client('POST', `/me/bookings/${bookingId}/reschedule`, { start: '2026-03-10T10:00:00.000Z' }));

      const first = await client('POST', `/me/bookings/${bookingId}/cancel`);
      expectOk(first);
      expect(first.json().outcome).toEqual({ outcome: 'release', credits: 1, fee: null, deadline: '2026-03-09T10:00:00.000Z' });
      const again = await client('POST', `/me/bookings/${bookingId}/cancel`);
      expectOk(again);
      expect(again.json()).toEqual(first.json());
    });
  });

  describe('a service’s policy override', () => {
    it('a service’s override (windowHours 48) wins over the practice’s policy field by field, and policy null inherits the practice’s again', async () => {
      const { practitioner: p, service, pkg } = await setUpPractice(ctx);
      const practitioner = as(ctx, p.headers);
      const patched = await practitioner('PATCH', `/services/${service.id}`, { policy: { windowHours: 48 } });
      expectOk(patched);
      expect(patched.json().policy).toEqual({ windowHours: 48 });
      expect(patched.json().effectivePolicy).toMatchObject({ windowHours: 48, lateCancel: 'forfeit' });

      const signedIn = await signInClient(ctx, p.practice.slug);
      const client = as(ctx, signedIn.headers);
      expectOk(await client('POST', '/me/purchases', { packageId: pkg.id }), 201);
      const booked = await client('POST', '/me/bookings', { serviceId: service.id, start: START });
      expectOk(booked, 201);
      const bookingId = booked.json().booking.id;
      const cancellation = () => client('GET', `/me/bookings/${bookingId}/cancellation`);

      // 47 hours before: inside the service's 48-hour window, outside the practice's 24.
      ctx.clock.set(shift(START, -47 * HOUR));
      expect((await cancellation()).json()).toEqual({ outcome: 'forfeit', credits: 1, fee: null, deadline: shift(START, -48 * HOUR) });

      // The override names windowHours only: lateCancel still comes from the practice.
      expectOk(await practitioner('PATCH', '/practice', { policy: { windowHours: 12, lateCancel: 'none' } }));
      expect((await practitioner('GET', `/services/${service.id}`)).json().effectivePolicy).toMatchObject({ windowHours: 48, lateCancel: 'none' });
      expect((await cancellation()).json()).toEqual({ outcome: 'release', credits: 1, fee: null, deadline: shift(START, -48 * HOUR) });
      expectOk(await practitioner('PATCH', '/practice', { policy: { windowHours: 24, lateCancel: 'forfeit' } }));

      const cleared = await practitioner('PATCH', `/services/${service.id}`, { policy: null });
      expectOk(cleared);
      expect(cleared.json().policy).toBeNull();
      expect(cleared.json().effectivePolicy).toEqual((await practitioner('GET', '/practice')).json().policy);
      expect((await cancellation()).json()).toEqual({ outcome: 'release', credits: 1, fee: null, deadline: DEADLINE });
      const cancelled = await client('POST', `/me/bookings/${bookingId}/cancel`);
      expectOk(cancelled);
      expect(cancelled.json().outcome).toEqual({ outcome: 'release', credits: 1, fee: null, deadline: DEADLINE });
      expect(cancelled.json().booking.status).toBe('cancelled');
    });
  });

  describe('a client reschedules', () => {
    it('refuses a client reschedule inside the window with booking_not_reschedulable', async () => {
      const s = await bookedSession(ctx);
      ctx.clock.set(shift(DEADLINE, MINUTE));
      expectProblem(await s.client('POST', `/me/bookings/${s.bookingId}/reschedule`, { start: THURSDAY }), 409, 'booking_not_reschedulable');
      expect(await bookingOf(s)).toMatchObject({ start: START, status: 'confirmed' });
    });

    it('refuses a client reschedule with booking_not_reschedulable when clientReschedule is false, even before the window', async () => {
      const s = await bookedSession(ctx, { policy: { clientReschedule: false } });
      expectProblem(await s.client('POST', `/me/bookings/${s.bookingId}/reschedule`, { start: THURSDAY }), 409, 'booking_not_reschedulable');
      expect(await bookingOf(s)).toMatchObject({ start: START, status: 'confirmed' });
    });

    it('moves a booking before the window and keeps the same hold: ledger and balance unchanged', async () => {
      const s = await bookedSession(ctx);
      ctx.clock.set(shift(DEADLINE, -MINUTE));
      const before = await clientDetail(s);
      const balance = await creditsOf(s);

      const res = await s.client('POST', `/me/bookings/${s.bookingId}/reschedule`, { start: THURSDAY });
      expectOk(res);
      expect(res.json().booking).toMatchObject({ id: s.bookingId, start: THURSDAY, end: shift(THURSDAY, HOUR), status: 'confirmed', payment: { kind: 'credits', credits: 1 } });
      const after = await clientDetail(s);
      expect(after.ledger).toEqual(before.ledger);
      expect(after.lots).toEqual(before.lots);
      expect(await creditsOf(s)).toEqual(balance);
      const slots = await slotStarts(ctx, s.slug, s.serviceId, '2026-03-04', '2026-03-05');
      expect(slots).toContain(START);
      expect(slots).not.toContain(THURSDAY);
    });

    it('refuses a reschedule to a taken, misaligned or closed time with slot_unavailable', async () => {
      const s = await bookedSession(ctx);
      expectOk(await s.client('POST', '/me/bookings', { serviceId: s.serviceId, start: THURSDAY }), 201);
      const before = await clientDetail(s);

      for (const start of [THURSDAY, '2026-03-05T10:30:00.000Z', '2026-03-07T10:00:00.000Z', '2026-03-05T17:00:00.000Z']) {
        expectProblem(await s.client('POST', `/me/bookings/${s.bookingId}/reschedule`, { start }), 409, 'slot_unavailable');
        expectProblem(await s.practitioner('POST', `/bookings/${s.bookingId}/reschedule`, { start }), 409, 'slot_unavailable');
      }
      expect(await bookingOf(s)).toMatchObject({ start: START, status: 'confirmed' });
      expect((await clientDetail(s)).ledger).toEqual(before.ledger);
    });

    it('lets the practitioner reschedule inside the window, keeping the hold', async () => {
      const s = await bookedSession(ctx);
      ctx.clock.set(shift(DEADLINE, MINUTE));
      const before = await clientDetail(s);
      const res = await s.practitioner('POST', `/bookings/${s.bookingId}/reschedule`, { start: THURSDAY });
      expectOk(res);
      expect(res.json().booking).toMatchObject({ start: THURSDAY, status: 'confirmed' });
      expect((await clientDetail(s)).ledger).toEqual(before.ledger);
    });

    it('pays again from a lot valid at the new start when a reschedule moves past the paying lot’s expiry', async () => {
      const { practitioner: p, service, pkg } = await setUpPractice(ctx);
      const practitioner = as(ctx, p.headers);
      const signedIn = await signInClient(ctx, p.practice.slug);
      const client = as(ctx, signedIn.headers);
      const trial = await practitioner('POST', `/clients/${signedIn.id}/grants`, { credits: 1, validityDays: 7, reason: 'trial session' });
      expectOk(trial, 201);
      expect(trial.json().expiresAt).toBe('2026-03-09T23:59:59.999Z');
      const bought = await client('POST', '/me/purchases', { packageId: pkg.id });
      expectOk(bought, 201);
      const booked = await client('POST', '/me/bookings', { serviceId: service.id, start: '2026-03-09T10:00:00.000Z' });
      expectOk(booked, 201);
      const bookingId = booked.json().booking.id;
      const lots = async () => (await practitioner('GET', `/clients/${signedIn.id}`)).json().lots.map((l: { id: string; available: number; held: number }) => [l.id, l.available, l.held]);
      const packageLotId = (await practitioner('GET', `/clients/${signedIn.id}`)).json().lots.find((l: { packageId: string | null }) => l.packageId === pkg.id).id;
      expect(await lots()).toEqual([[trial.json().id, 0, 1], [packageLotId, 5, 0]]);

      const moved = await client('POST', `/me/bookings/${bookingId}/reschedule`, { start: '2026-03-10T10:00:00.000Z' });
      expectOk(moved);
      expect(moved.json().booking).toMatchObject({ start: '2026-03-10T10:00:00.000Z', status: 'confirmed', payment: { kind: 'credits', credits: 1 } });
      expect(await lots()).toEqual([[trial.json().id, 1, 0], [packageLotId, 4, 1]]);
      const ledger: LedgerEntry[] = (await practitioner('GET', `/clients/${signedIn.id}`)).json().ledger;
      expect(ledger.slice(0, 2)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'release', lotId: trial.json().id, bookingId, actor: { kind: 'client', id: signedIn.id } }),
          expect.objectContaining({ kind: 'hold', lotId: packageLotId, bookingId, actor: { kind: 'client', id: signedIn.id } }),
        ]),
      );
    });

    it('pays again first-to-expire on every move: moved back before a lot’s expiry, the booking is paid by that lot again (S1)', async () => {
      const { practitioner: p, service } = await setUpPractice(ctx);
      const practitioner = as(ctx, p.headers);
      const signedIn = await signInClient(ctx, p.practice.slug);
      const client = as(ctx, signedIn.headers);
      const expiring = await practitioner('POST', `/clients/${signedIn.id}/grants`, { credits: 1, validityDays: 8, reason: 'trial session' });
      expectOk(expiring, 201);
      expect(expiring.json().expiresAt).toBe('2026-03-10T23:59:59.999Z');
      const lasting = await practitioner('POST', `/clients/${signedIn.id}/grants`, { credits: 1, reason: 'carried over' });
      expectOk(lasting, 201);
      const [a, b] = [expiring.json().id as string, lasting.json().id as string];
      const lots = async () => (await practitioner('GET', `/clients/${signedIn.id}`)).json().lots.map((l: { id: string; available: number; held: number }) => [l.id, l.available, l.held]);

      const booked = await client('POST', '/me/bookings', { serviceId: service.id, start: '2026-03-05T10:00:00.000Z' });
      expectOk(booked, 201);
      const bookingId = booked.json().booking.id;
      expect(await lots()).toEqual([[a, 0, 1], [b, 1, 0]]);
      expectOk(await client('POST', `/me/bookings/${bookingId}/reschedule`, { start: '2026-03-20T10:00:00.000Z' }));
      expect(await lots()).toEqual([[a, 1, 0], [b, 0, 1]]);

      expectOk(await client('POST', `/me/bookings/${bookingId}/reschedule`, { start: '2026-03-06T10:00:00.000Z' }));
      expect(await lots()).toEqual([[a, 0, 1], [b, 1, 0]]);
      const ledger: LedgerEntry[] = (await practitioner('GET', `/clients/${signedIn.id}`)).json().ledger;
      expect(ledger.slice(0, 2)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'release', lotId: b, bookingId, amount: 1 }),
          expect.objectContaining({ kind: 'hold', lotId: a, bookingId, amount: 1 }),
        ]),
      );
      // So the lasting credit still pays a session after the trial lot's expiry.
      expectOk(await client('POST', '/me/bookings', { serviceId: service.id, start: '2026-03-16T10:00:00.000Z' }), 201);
      expect(await lots()).toEqual([[a, 0, 1], [b, 0, 1]]);
    });

    it('refuses with 402 credits_exhausted a reschedule past the paying lot’s expiry when no other lot covers it', async () => {
      const { practitioner: p, service } = await setUpPractice(ctx);
      const practitioner = as(ctx, p.headers);
      const signedIn = await signInClient(ctx, p.practice.slug);
      const client = as(ctx, signedIn.headers);
      expectOk(await practitioner('POST', `/clients/${signedIn.id}/grants`, { credits: 1, validityDays: 7, reason: 'trial session' }), 201);
      const booked = await client('POST', '/me/bookings', { serviceId: service.id, start: '2026-03-09T10:00:00.000Z' });
      expectOk(booked, 201);
      const bookingId = booked.json().booking.id;
      const before = (await practitioner('GET', `/clients/${signedIn.id}`)).json();

      expectProblem(await client('POST', `/me/bookings/${bookingId}/reschedule`, { start: '2026-03-10T10:00:00.000Z' }), 402, 'credits_exhausted');
      const after = (await practitioner('GET', `/clients/${signedIn.id}`)).json();
      expect(after.ledger).toEqual(before.ledger);
      expect(after.bookings).toEqual(before.bookings);
    });
  });

  it('accepts the settle routes without a body, as API.md documents them (cancel, no-show, complete, fee paid)', async () => {
    const s = await bookedSession(ctx, { policy: { noShow: 'fee', noShowFee: usd(4000) } });
    const ids = [s.bookingId];
    for (const hour of [11, 12, 13, 14]) {
      const res = await s.client('POST', '/me/bookings', { serviceId: s.serviceId, start: `2026-03-04T${hour}:00:00.000Z` });
      expectOk(res, 201);
      ids.push(res.json().booking.id);
    }
    const [b10, b11, b12, b13, b14] = ids as [string, string, string, string, string];
    const bare = async (headers: Record<string, string>, url: string) => {
      const res = await ctx.app.inject({ method: 'POST', url: `/api/v1${url}`, headers });
      expect.soft(res.statusCode, `POST ${url} without a body: ${res.body}`).toBe(200);
    };

    await bare(s.clientHeaders, `/me/bookings/${b10}/cancel`);
    await bare(s.practitionerHeaders, `/bookings/${b11}/cancel`);
    ctx.clock.set('2026-03-04T12:10:00.000Z');
    expectOk(await s.practitioner('POST', `/bookings/${b12}/no-show`, {}));
    const fee = (await s.practitioner('GET', '/fees')).json().items[0];
    ctx.clock.set('2026-03-04T14:10:00.000Z');
    await bare(s.practitionerHeaders, `/bookings/${b13}/no-show`);
    await bare(s.practitionerHeaders, `/bookings/${b14}/complete`);
    await bare(s.practitionerHeaders, `/fees/${fee.id}/paid`);
  });

  it('records on every ledger entry its actor {kind, id} and its reason; a client’s own words stay on the booking, out of the immutable ledger', async () => {
    const { practitioner: p, service, pkg } = await setUpPractice(ctx);
    const practitioner = as(ctx, p.headers);
    const signedIn = await signInClient(ctx, p.practice.slug);
    const client = as(ctx, signedIn.headers);
    const userId = p.user.id;
    const clientId = signedIn.id;

    const granted = await practitioner('POST', `/clients/${clientId}/grants`, { credits: 2, reason: 'carried over from paper cards' });
    expectOk(granted, 201);
    expectOk(await client('POST', '/me/purchases', { packageId: pkg.id }), 201);
    const book = async (start: string, by: Caller, body: object) => {
      const res = await by('POST', by === client ? '/me/bookings' : '/bookings', { serviceId: service.id, start, ...body });
      expectOk(res, 201);
      return res.json().booking.id as string;
    };
    const a = await book('2026-03-04T10:00:00.000Z', client, {});
    const b = await book('2026-03-04T11:00:00.000Z', client, {});
    const c = await book('2026-03-04T12:00:00.000Z', practitioner, { clientId });

    expectOk(await client('POST', `/me/bookings/${a}/cancel`, { reason: 'cannot make it' }));
    ctx.clock.set(shift(DEADLINE, 2 * HOUR));
    expectOk(await client('POST', `/me/bookings/${b}/cancel`, { reason: 'feeling unwell' }));
    expectOk(await practitioner('POST', `/bookings/${b}/waive`, { reason: 'doctor’s note' }));
    ctx.clock.set('2026-03-04T12:10:00.000Z');
    expectOk(await practitioner('POST', `/bookings/${c}/complete`, { reason: 'attended' }));
    expectOk(await practitioner('POST', `/clients/${clientId}/adjustments`, { lotId: granted.json().id, amount: -1, reason: 'granted one too many' }), 201);

    const detail = (await practitioner('GET', `/clients/${clientId}`)).json();
    const ledger: LedgerEntry[] = detail.ledger;
    const reasons = Object.fromEntries(detail.bookings.map((bk: { id: string; cancelReason: string | null }) => [bk.id, bk.cancelReason]));
    expect(reasons).toEqual({ [a]: 'cannot make it', [b]: 'feeling unwell', [c]: null });
    for (const entry of ledger) {
      expect(Object.keys(entry)).toEqual(expect.arrayContaining(['actor', 'reason']));
      expect(Object.keys(entry.actor).sort()).toEqual(['id', 'kind']);
      const expectedId = { client: clientId, practitioner: userId, system: null }[entry.actor.kind as 'client' | 'practitioner' | 'system'];
      expect(expectedId, `unknown actor kind ${entry.actor.kind}`).not.toBeUndefined();
      expect(entry.actor.id).toBe(expectedId);
    }
    const seen = ledger.map((e) => [e.kind, e.bookingId, e.actor.kind, e.actor.id, e.reason]);
    const expected = [
      ['grant', null, 'practitioner', userId, 'carried over from paper cards'],
      ['grant', null, 'system', null, `purchase of ${pkg.name}`],
      ['hold', a, 'client', clientId, null],
      ['hold', b, 'client', clientId, null],
      ['hold', c, 'practitioner', userId, null],
      ['release', a, 'client', clientId, null],
      ['forfeit', b, 'client', clientId, null],
      ['restore', b, 'practitioner', userId, 'doctor’s note'],
      ['consume', c, 'practitioner', userId, 'attended'],
      ['adjust', null, 'practitioner', userId, 'granted one too many'],
    ];
    expect(seen).toHaveLength(expected.length);
    expect(seen).toEqual(expect.arrayContaining(expected));
  });
});
