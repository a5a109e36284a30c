import { afterEach, expect, it } from 'vitest';
import { describeEachDialect, TEST_START, type TestContext } from '../support/app.js';
import { as, expectOk, HOUR, MINUTE, shift, type LedgerEntry } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

/*
 * A session's life after booking, over HTTP, driven by the fake clock and `ctx.app.jobs.tick()`:
 * DST between booking and session, auto-completion, no-shows, lot expiry with held and released
 * credits, and idempotent jobs. The jobs' recurring rows only run again once the clock has moved
 * past their next run, so each block below starts its own database and only moves its clock forward.
 */

const WEEKDAYS = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '17:00' }));

interface LotBuckets {
  id: string;
  granted: number;
  available: number;
  held: number;
  used: number;
  expired: number;
  expiresAt: string | null;
}

/** A practice (options as setUpPractice) and one signed-in client, with callers for both. */
async function practiceWithClient(ctx: TestContext, options: Parameters<typeof setUpPractice>[1] = {}) {
  const setup = await setUpPractice(ctx, options);
  const signedIn = await signInClient(ctx, setup.practitioner.practice.slug);
  const practitioner = as(ctx, setup.practitioner.headers);
  const client = as(ctx, signedIn.headers);
  const detail = async () => {
    const res = await practitioner('GET', `/clients/${signedIn.id}`);
    expectOk(res);
    return res.json() as { ledger: LedgerEntry[]; lots: LotBuckets[]; bookings: { id: string; status: string }[]; credits: unknown };
  };
  /** A lot's buckets as the practitioner sees them, which always add up to what it was granted. */
  const lot = async (lotId: string) => {
    const lots = (await detail()).lots;
    const found = lots.find((l) => l.id === lotId);
    if (!found) throw new Error(`lot ${lotId} is not among the client's lots: ${JSON.stringify(lots)}`);
    const { granted, available, held, used, expired } = found;
    expect(available + held + used + expired, `lot ${lotId}: buckets against granted`).toBe(granted);
    return { available, held, used, expired };
  };
  const credits = async () => {
    const me = await client('GET', '/me');
    expectOk(me);
    return me.json().credits;
  };
  const status = async (bookingId: string) => (await detail()).bookings.find((b) => b.id === bookingId)?.status;
  const book = async (start: string) => {
    const res = await client('POST', '/me/bookings', { serviceId: setup.service.id, start });
    expectOk(res, 201);
    return res.json().booking.id as string;
  };
  const grant = async (credits: number, validityDays: number | null, reason: string) => {
    const res = await practitioner('POST', `/clients/${signedIn.id}/grants`, { credits, validityDays, reason });
    expectOk(res, 201);
    return res.json() as LotBuckets;
  };
  const buy = async () => expectOk(await client('POST', '/me/purchases', { packageId: setup.pkg.id }), 201);
  return { ...setup, slug: setup.practitioner.practice.slug, userId: setup.practitioner.user.id, clientId: signedIn.id, practitioner, client, detail, lot, credits, status, book, grant, buy };
}

const tick = (ctx: TestContext) => ctx.app.jobs.tick();

describeEachDialect('a DST change between booking and session (Europe/London, 29 March 2026)', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('keeps the deadline at start − 24 h as instants across the spring-forward change, so cancelling 23 h before forfeits', async () => {
    const w = await practiceWithClient(ctx);
    // Open on Sunday 29 March, the day London moves from GMT to BST (01:00 UTC): the window straddles the change.
    expectOk(await w.practitioner('PUT', '/availability', { weekly: WEEKDAYS, overrides: [{ date: '2026-03-29', intervals: [{ start: '09:00', end: '17:00' }] }] }));
    const start = '2026-03-29T09:00:00.000Z'; // 10:00 BST
    const slots = await slotStarts(ctx, w.slug, w.service.id, '2026-03-29', '2026-03-29');
    expect(slots[0]).toBe('2026-03-29T08:00:00.000Z'); // 09:00 BST
    expect(slots).toContain(start);

    // Booked in winter (the clock says Monday 2 March, GMT).
    expect(ctx.clock.now().toISOString()).toBe(TEST_START);
    await w.buy();
    const bookingId = await w.book(start);
    const preview = () => w.client('GET', `/me/bookings/${bookingId}/cancellation`);

    // 24 hours of instants before 10:00 BST Sunday is 09:00 GMT Saturday (not 10:00, the same wall-clock time).
    const deadline = '2026-03-28T09:00:00.000Z';
    ctx.clock.set(shift(deadline, -MINUTE));
    expect((await preview()).json()).toEqual({ outcome: 'release', credits: 1, fee: null, deadline });
    ctx.clock.set('2026-03-28T09:30:00.000Z'); // 23 h 30 min before as instants, 24 h 30 min apart on the wall clocks
    expect((await preview()).json()).toEqual({ outcome: 'forfeit', credits: 1, fee: null, deadline });

    ctx.clock.set(shift(start, -23 * HOUR));
    const cancelled = await w.client('POST', `/me/bookings/${bookingId}/cancel`, {});
    expectOk(cancelled);
    expect(cancelled.json().booking.status).toBe('late_cancelled');
    expect(cancelled.json().outcome).toEqual({ outcome: 'forfeit', credits: 1, fee: null, deadline });
    expect(await w.credits()).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
  });

  it('states start − 24 h as the deadline of a weekday session booked in winter for after the change', async () => {
    ctx.clock.set(TEST_START);
    const w = await practiceWithClient(ctx);
    await w.buy();
    const start = '2026-03-31T09:00:00.000Z'; // Tuesday 10:00 BST
    expect(await slotStarts(ctx, w.slug, w.service.id, '2026-03-31', '2026-03-31')).toContain(start);
    const bookingId = await w.book(start);

    ctx.clock.set(shift(start, -24 * HOUR - MINUTE));
    expect((await w.client('GET', `/me/bookings/${bookingId}/cancellation`)).json()).toEqual({ outcome: 'release', credits: 1, fee: null, deadline: '2026-03-30T09:00:00.000Z' });
    ctx.clock.set(shift(start, -23 * HOUR));
    const cancelled = await w.client('POST', `/me/bookings/${bookingId}/cancel`, {});
    expectOk(cancelled);
    expect(cancelled.json().outcome).toEqual({ outcome: 'forfeit', credits: 1, fee: null, deadline: '2026-03-30T09:00:00.000Z' });
  });
});

describeEachDialect('auto-completion (completeAfterMinutes 120 by default)', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('does nothing before end + completeAfterMinutes, then completes the session and uses its credit', async () => {
    expect(ctx.config.completeAfterMinutes).toBe(120);
    const w = await practiceWithClient(ctx);
    await w.buy();
    const end = '2026-03-04T11:00:00.000Z';
    const bookingId = await w.book('2026-03-04T10:00:00.000Z');

    ctx.clock.set(shift(end, 119 * MINUTE));
    await tick(ctx);
    expect(await w.status(bookingId)).toBe('confirmed');
    expect(await w.credits()).toEqual({ available: 4, held: 1, used: 0, expired: 0 });

    ctx.clock.set(shift(end, 120 * MINUTE));
    await tick(ctx);
    expect(await w.status(bookingId)).toBe('completed');
    expect(await w.credits()).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
    expect((await w.detail()).ledger[0]).toMatchObject({ kind: 'consume', amount: 1, bookingId, actor: { kind: 'system', id: null }, reason: 'completed automatically' });
    // Settled: a late no-show is refused and moves nothing.
    expect((await w.practitioner('POST', `/bookings/${bookingId}/no-show`, {})).statusCode).toBe(409);
    expect(await w.credits()).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
  });

  it('leaves a no-show marked by the practitioner as it is: the job neither completes it nor moves its credit', async () => {
    const w = await practiceWithClient(ctx);
    await w.buy();
    const start = '2026-03-05T10:00:00.000Z';
    const bookingId = await w.book(start);

    ctx.clock.set(shift(start, 10 * MINUTE));
    const marked = await w.practitioner('POST', `/bookings/${bookingId}/no-show`, { reason: 'did not come' });
    expectOk(marked);
    expect(marked.json().booking.status).toBe('no_show');
    expect(marked.json().outcome).toMatchObject({ outcome: 'forfeit', credits: 1 });
    const after = await w.detail();
    expect(after.ledger[0]).toMatchObject({ kind: 'forfeit', bookingId, actor: { kind: 'practitioner', id: w.userId }, reason: 'did not come' });

    ctx.clock.set(shift(start, 4 * HOUR));
    await tick(ctx);
    expect(await w.status(bookingId)).toBe('no_show');
    expect((await w.detail()).ledger).toEqual(after.ledger);
    expect(await w.credits()).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
  });
});

describeEachDialect(
  'auto-completion with completeAfterMinutes 30',
  (ctx) => {
    afterEach(() => expectInvariants(ctx));

    it('completes a session config.completeAfterMinutes after its end, not a minute before', async () => {
      const w = await practiceWithClient(ctx);
      await w.buy();
      const end = '2026-03-04T11:00:00.000Z';
      const bookingId = await w.book('2026-03-04T10:00:00.000Z');
      ctx.clock.set(shift(end, 29 * MINUTE));
      await tick(ctx);
      expect(await w.status(bookingId)).toBe('confirmed');
      ctx.clock.set(shift(end, 30 * MINUTE));
      await tick(ctx);
      expect(await w.status(bookingId)).toBe('completed');
      expect(await w.credits()).toEqual({ available: 4, held: 0, used: 1, expired: 0 });
    });
  },
  { config: { completeAfterMinutes: 30 } },
);

describeEachDialect('lot expiry', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('expires the available credits of a lot once its expiresAt has passed, with a system entry; a lot pays only for sessions starting before its expiry', async () => {
    const w = await practiceWithClient(ctx);
    const lot = await w.grant(3, 7, 'welcome credits');
    // The end of the practice's local day 7 days after the grant (London is on GMT).
    expect(lot.expiresAt).toBe('2026-03-09T23:59:59.999Z');
    const refused = await w.client('POST', '/me/bookings', { serviceId: w.service.id, start: '2026-03-10T10:00:00.000Z' });
    expect(refused.statusCode, refused.body).toBe(402);
    expect(refused.json().code).toBe('credits_exhausted');

    ctx.clock.set(shift(lot.expiresAt!, -MINUTE));
    await tick(ctx);
    expect(await w.lot(lot.id)).toEqual({ available: 3, held: 0, used: 0, expired: 0 });

    ctx.clock.set(shift(lot.expiresAt!, MINUTE));
    await tick(ctx);
    expect(await w.lot(lot.id)).toEqual({ available: 0, held: 0, used: 0, expired: 3 });
    expect(await w.credits()).toEqual({ available: 0, held: 0, used: 0, expired: 3 });
    expect((await w.detail()).ledger[0]).toMatchObject({ kind: 'expire', amount: 3, lotId: lot.id, bookingId: null, actor: { kind: 'system', id: null }, reason: 'the lot expired' });
    expect((await w.client('GET', '/me')).json().coverage).toEqual([{ serviceId: w.service.id, available: 0 }]);
  });
});

describeEachDialect(
  'a lot expiring while one of its credits is held',
  (ctx) => {
    afterEach(() => expectInvariants(ctx));

    it('lets a credit held for a session that starts before the expiry still pay for it: completing consumes it, and the expiry job expires only the available rest', async () => {
      const w = await practiceWithClient(ctx);
      const lot = await w.grant(3, 7, 'welcome credits');
      expect(lot.expiresAt).toBe('2026-03-09T23:59:59.999Z');
      const start = '2026-03-09T16:00:00.000Z'; // the lot's last day
      const bookingId = await w.book(start);
      expect(await w.lot(lot.id)).toEqual({ available: 2, held: 1, used: 0, expired: 0 });

      ctx.clock.set('2026-03-10T00:00:00.000Z');
      await tick(ctx);
      expect(await w.lot(lot.id)).toEqual({ available: 0, held: 1, used: 0, expired: 2 });
      expect(await w.status(bookingId)).toBe('confirmed');

      const completed = await w.practitioner('POST', `/bookings/${bookingId}/complete`, {});
      expectOk(completed);
      expect(completed.json().booking.status).toBe('completed');
      expect(await w.lot(lot.id)).toEqual({ available: 0, held: 0, used: 1, expired: 2 });
      expect((await w.detail()).ledger[0]).toMatchObject({ kind: 'consume', amount: 1, lotId: lot.id, bookingId });

      ctx.clock.advance(5 * MINUTE);
      await tick(ctx);
      expect(await w.lot(lot.id)).toEqual({ available: 0, held: 0, used: 1, expired: 2 });
    });
  },
  // Long enough that the completion job leaves the session to the practitioner here.
  { config: { completeAfterMinutes: 24 * 60 } },
);

describeEachDialect('a credit released by a practitioner’s cancel after its lot expired', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('expires at once a credit the practitioner releases after its lot expired: available stays 0 and expired includes it', async () => {
    // A lot only pays for sessions starting before it expires, so the cancel must fall inside a
    // session that straddles the expiry: the lot is granted while the practice is on Kiritimati
    // time (UTC+14), then the practice moves to London, where a 2-hour session spans the instant.
    const w = await practiceWithClient(ctx, { practice: { timeZone: 'Pacific/Kiritimati' }, service: { durationMinutes: 120 } });
    const lot = await w.grant(1, 1, 'trial session');
    expect(lot.expiresAt).toBe('2026-03-03T09:59:59.999Z'); // the end of Tuesday 3 March at UTC+14
    expectOk(await w.practitioner('PATCH', '/practice', { timeZone: 'Europe/London' }));
    const start = '2026-03-03T09:00:00.000Z';
    expect(await slotStarts(ctx, w.slug, w.service.id, '2026-03-03', '2026-03-03')).toContain(start);
    const bookingId = await w.book(start);
    expect(await w.lot(lot.id)).toEqual({ available: 0, held: 1, used: 0, expired: 0 });

    ctx.clock.set('2026-03-03T10:30:00.000Z'); // past the expiry, before the session's end
    await tick(ctx);
    expect(await w.lot(lot.id)).toEqual({ available: 0, held: 1, used: 0, expired: 0 });

    const cancelled = await w.practitioner('POST', `/bookings/${bookingId}/cancel`, { reason: 'room flooded' });
    expectOk(cancelled);
    expect(cancelled.json().booking.status).toBe('cancelled');
    expect(cancelled.json().outcome).toMatchObject({ outcome: 'release', credits: 1 });
    expect(await w.lot(lot.id)).toEqual({ available: 0, held: 0, used: 0, expired: 1 });
    expect(await w.credits()).toEqual({ available: 0, held: 0, used: 0, expired: 1 });
    const [newest, previous] = (await w.detail()).ledger;
    expect([newest, previous]).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'release', amount: 1, lotId: lot.id, bookingId, actor: { kind: 'practitioner', id: w.userId }, reason: 'room flooded' }),
        expect.objectContaining({ kind: 'expire', amount: 1, lotId: lot.id, actor: { kind: 'system', id: null }, reason: expect.any(String) }),
      ]),
    );

    ctx.clock.advance(10 * MINUTE);
    await tick(ctx);
    expect(await w.lot(lot.id)).toEqual({ available: 0, held: 0, used: 0, expired: 1 });
  });
});

describeEachDialect('a credit released by a no-show after its lot expired', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('expires at once a credit a no-show under noShow none releases after its lot expired', async () => {
    const w = await practiceWithClient(ctx);
    expectOk(await w.practitioner('PATCH', '/practice', { policy: { noShow: 'none' } }));
    const lot = await w.grant(1, 7, 'trial session');
    const start = '2026-03-09T16:00:00.000Z';
    const bookingId = await w.book(start);

    ctx.clock.set('2026-03-10T08:00:00.000Z'); // the lot expired at the end of 9 March
    const marked = await w.practitioner('POST', `/bookings/${bookingId}/no-show`, {});
    expectOk(marked);
    expect(marked.json().booking.status).toBe('no_show');
    expect(marked.json().outcome).toMatchObject({ outcome: 'release', credits: 1 });
    expect(await w.lot(lot.id)).toEqual({ available: 0, held: 0, used: 0, expired: 1 });
    expect(await w.credits()).toEqual({ available: 0, held: 0, used: 0, expired: 1 });

    await tick(ctx);
    expect(await w.lot(lot.id)).toEqual({ available: 0, held: 0, used: 0, expired: 1 });
  });
});

describeEachDialect('jobs are idempotent', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('a second tick, at once or later, changes nothing more', async () => {
    const w = await practiceWithClient(ctx);
    const lot = await w.grant(3, 7, 'welcome credits');
    const held = await w.book('2026-03-09T16:00:00.000Z');
    await w.buy();
    const other = await w.book('2026-03-09T15:00:00.000Z');

    ctx.clock.set('2026-03-10T00:00:00.000Z');
    await tick(ctx);
    expect(await w.status(held)).toBe('completed');
    expect(await w.status(other)).toBe('completed');
    // Both sessions drew on the lot expiring first; the package lot stays whole.
    expect(await w.lot(lot.id)).toEqual({ available: 0, held: 0, used: 2, expired: 1 });
    expect(await w.credits()).toEqual({ available: 5, held: 0, used: 2, expired: 1 });

    const snapshot = async () => ({ client: await w.detail(), bookings: (await w.practitioner('GET', '/bookings')).json(), fees: (await w.practitioner('GET', '/fees')).json() });
    const first = await snapshot();
    await tick(ctx);
    expect(await snapshot()).toEqual(first);
    ctx.clock.advance(10 * MINUTE);
    await tick(ctx);
    expect(await snapshot()).toEqual(first);
    ctx.clock.advance(24 * HOUR);
    await tick(ctx);
    await tick(ctx);
    expect(await snapshot()).toEqual(first);
  });
});
