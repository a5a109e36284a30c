import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BookingRow, FeeRow, LedgerEntryRow } from '../../src/db/schema.js';
import { findViolations } from '../../src/db/verify.js';
import { bucketsOf, ENTRY_KINDS } from '../../src/domain/ledger.js';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { as, expectOk, HOUR, MINUTE, shift, type Caller } from '../support/http.js';
import { setUpPractice, signInClient, type PracticeSetup, type SignedInClient } from '../support/scenario.js';

/**
 * findViolations on a history of every legitimate kind (it must find nothing), then on that
 * database corrupted row by row behind the app's back (it must find exactly what was broken).
 * Ledger entries refuse UPDATE and DELETE, so corruption inserts entries or edits other tables.
 */

// The practice is open Mon–Fri 09:00–17:00 London (UTC in early March).
const D1 = '2026-03-03'; // Tue
const D2 = '2026-03-04';
const D3 = '2026-03-05';
const D4 = '2026-03-06';
const D5 = '2026-03-09'; // Mon
const at = (day: string, time: string) => `${day}T${time}:00.000Z`;

interface History {
  setup: PracticeSetup;
  practitioner: Caller;
  services: Record<'coaching' | 'fee' | 'none' | 'group' | 'double' | 'single' | 'buffered', string>;
  clients: SignedInClient[];
  /** Lots by name: a client's first grant that never expires, and the purchase's lot. */
  lots: { c1Grant: string; c1Purchase: string; c2Grant: string };
  purchaseId: string;
  bookings: Record<string, string>;
}

async function service(p: Caller, body: object): Promise<string> {
  const res = await p('POST', '/services', body);
  expectOk(res, 201);
  return res.json().id;
}

async function grant(p: Caller, clientId: string, body: object): Promise<string> {
  const res = await p('POST', `/clients/${clientId}/grants`, { reason: 'test credits', ...body });
  expectOk(res, 201);
  return res.json().id;
}

/**
 * Every way the app legitimately writes credits and bookings: completion by hand and by the job,
 * timely, late and practitioner cancels under forfeit, fee and none policies, no-shows under each,
 * a waived forfeit (also on a lot that has expired since, which expires the restored credit), fees
 * paid and waived, adjustments, a purchase, a reschedule that keeps its hold and one that pays
 * again from another lot, a two-credit session drawn from two lots, a session paid alone, seats of
 * a group session, buffers that touch, a slot booked again after its cancellation, the expiry sweep.
 */
async function buildHistory(ctx: TestContext): Promise<History> {
  ctx.clock.set('2026-03-02T08:00:00.000Z');
  const setup = await setUpPractice(ctx);
  const p = as(ctx, setup.practitioner.headers);
  const usd = (amount: number) => ({ amount, currency: setup.practitioner.practice.currency });
  const services = {
    coaching: setup.service.id,
    fee: await service(p, { name: 'Fee policy', durationMinutes: 60, policy: { lateCancel: 'fee', lateCancelFee: usd(2500), noShow: 'fee', noShowFee: usd(3000) } }),
    none: await service(p, { name: 'Lenient', durationMinutes: 60, policy: { lateCancel: 'none', noShow: 'none' } }),
    group: await service(p, { name: 'Group', durationMinutes: 60, capacity: 2 }),
    double: await service(p, { name: 'Double', durationMinutes: 120, creditCost: 2 }),
    single: await service(p, { name: 'Paid alone', durationMinutes: 60, price: usd(5000) }),
    buffered: await service(p, { name: 'Buffered', durationMinutes: 45, bufferBeforeMinutes: 15, bufferAfterMinutes: 15, slotStepMinutes: 60 }),
  };
  const slug = setup.practitioner.practice.slug;
  const clients: SignedInClient[] = [];
  for (let i = 0; i < 5; i++) clients.push(await signInClient(ctx, slug));
  const [c1, c2, c3, c4, c5] = clients as [SignedInClient, SignedInClient, SignedInClient, SignedInClient, SignedInClient];
  const me = (c: SignedInClient) => as(ctx, c.headers);

  const c1Grant = await grant(p, c1.id, { credits: 10 });
  const bought = await me(c1)('POST', '/me/purchases', { packageId: setup.pkg.id });
  expectOk(bought, 201);
  const c1Purchase = (await ctx.db.kysely.selectFrom('lots').select('id').where('purchase_id', '=', bought.json().purchase.id).executeTakeFirstOrThrow()).id;
  expectOk(await p('POST', `/clients/${c1.id}/adjustments`, { lotId: c1Grant, amount: 2, reason: 'correction up' }), 201);
  expectOk(await p('POST', `/clients/${c1.id}/adjustments`, { lotId: c1Grant, amount: -1, reason: 'correction down' }), 201);
  const c2Grant = await grant(p, c2.id, { credits: 100 }); // the corruptions below draw on it too
  await grant(p, c3.id, { credits: 1, validityDays: 30 });
  await grant(p, c3.id, { credits: 3 });
  await grant(p, c4.id, { credits: 1, validityDays: 1 }); // expires at the end of D1
  await grant(p, c4.id, { credits: 5 });
  await grant(p, c5.id, { credits: 1, validityDays: 1 });
  await grant(p, c5.id, { credits: 1 });

  const bookings: Record<string, string> = {};
  const book = async (name: string, c: SignedInClient, serviceId: string, start: string, payment?: 'single') => {
    const res = await me(c)('POST', '/me/bookings', { serviceId, start, ...(payment ? { payment } : {}) });
    expectOk(res, 201);
    bookings[name] = res.json().booking.id;
  };
  const step = async (when: string, call: Promise<{ statusCode: number; body: string }>) => {
    const res = await call;
    expect(res.statusCode, `${when}: ${res.body}`).toBe(200);
  };
  await book('double', c3, services.double, at(D3, '13:00')); // 1 credit from each of c3's lots
  await book('completed', c1, services.coaching, at(D1, '09:00'));
  await book('cancelledInTime', c1, services.coaching, at(D1, '10:00'));
  await book('completedByJob', c1, services.coaching, at(D1, '11:00'));
  await book('lateFee', c2, services.fee, at(D1, '12:00'));
  await book('lateNone', c3, services.none, at(D1, '13:00'));
  await book('waivedAfterExpiry', c4, services.coaching, at(D1, '15:00'));
  await book('movedPastExpiry', c5, services.coaching, at(D1, '16:00'));
  await book('lateForfeit', c1, services.coaching, at(D2, '09:00'));
  await book('noShowForfeit', c1, services.coaching, at(D2, '10:00'));
  await book('cancelledByPractitioner', c1, services.coaching, at(D2, '11:00'));
  await book('noShowFee', c2, services.fee, at(D2, '13:00'));
  await book('noShowNone', c3, services.none, at(D2, '14:00'));
  await book('groupSeat1', c1, services.group, at(D3, '11:00'));
  await book('groupSeat2', c2, services.group, at(D3, '11:00'));
  await book('paidAlone', c3, services.single, at(D3, '15:00'), 'single');
  await book('buffered1', c2, services.buffered, at(D4, '09:00'));
  await book('buffered2', c4, services.buffered, at(D4, '10:00')); // its buffer touches buffered1's
  await book('moved', c1, services.coaching, at(D5, '09:00'));
  const c = (name: string) => bookings[name]!;

  // Still on the first day, before any deadline.
  await step('cancel in time', me(c1)('POST', `/me/bookings/${c('cancelledInTime')}/cancel`));
  await book('rebooked', c2, services.coaching, at(D1, '10:00'));
  await step('reschedule, same lot', me(c1)('POST', `/me/bookings/${c('moved')}/reschedule`, { start: at(D5, '10:00') }));
  await step('reschedule past the lot’s expiry', me(c5)('POST', `/me/bookings/${c('movedPastExpiry')}/reschedule`, { start: at(D3, '09:00') }));
  await step('cancel the moved one', me(c5)('POST', `/me/bookings/${c('movedPastExpiry')}/cancel`));
  await step('cancel the double', me(c3)('POST', `/me/bookings/${c('double')}/cancel`));
  const onBehalf = await p('POST', '/bookings', { clientId: c2.id, serviceId: services.coaching, start: at(D5, '11:00') });
  expectOk(onBehalf, 201);
  bookings.onBehalf = onBehalf.json().booking.id;

  ctx.clock.set(at(D1, '09:10'));
  await step('late cancel, fee', me(c2)('POST', `/me/bookings/${c('lateFee')}/cancel`));
  ctx.clock.set(at(D1, '09:20'));
  await step('late cancel, none', me(c3)('POST', `/me/bookings/${c('lateNone')}/cancel`));
  ctx.clock.set(at(D1, '09:30'));
  await step('complete', p('POST', `/bookings/${c('completed')}/complete`));
  await step('late cancel on a short lot', me(c4)('POST', `/me/bookings/${c('waivedAfterExpiry')}/cancel`));
  ctx.clock.set(at(D1, '09:40'));
  const fee = (await p('GET', '/fees')).json().items.find((f: { bookingId: string }) => f.bookingId === c('lateFee'));
  await step('fee paid', p('POST', `/fees/${fee.id}/paid`));
  ctx.clock.set(at(D1, '12:00'));
  await step('late cancel, forfeit', me(c1)('POST', `/me/bookings/${c('lateForfeit')}/cancel`));
  ctx.clock.set(at(D1, '12:30'));
  await step('waive the forfeit', p('POST', `/bookings/${c('lateForfeit')}/waive`, { reason: 'first time' }));
  ctx.clock.set(at(D1, '14:05'));
  await ctx.app.jobs.tick(); // completes 'rebooked' and 'completedByJob'
  ctx.clock.set(at(D2, '09:00'));
  await step('waive on an expired lot', p('POST', `/bookings/${c('waivedAfterExpiry')}/waive`, { reason: 'goodwill' }));
  ctx.clock.set(at(D2, '10:15'));
  await step('no-show, forfeit', p('POST', `/bookings/${c('noShowForfeit')}/no-show`));
  ctx.clock.set(at(D2, '10:30'));
  await step('practitioner cancels', p('POST', `/bookings/${c('cancelledByPractitioner')}/cancel`));
  ctx.clock.set(at(D2, '13:15'));
  await step('no-show, fee', p('POST', `/bookings/${c('noShowFee')}/no-show`));
  await step('waive the fee', p('POST', `/bookings/${c('noShowFee')}/waive`, { reason: 'snow' }));
  ctx.clock.set(at(D2, '14:15'));
  await step('no-show, none', p('POST', `/bookings/${c('noShowNone')}/no-show`));
  ctx.clock.set(at(D2, '16:00'));
  await step('late cancel of a session paid alone', me(c3)('POST', `/me/bookings/${c('paidAlone')}/cancel`));
  ctx.clock.set(at(D2, '16:05'));
  await ctx.app.jobs.tick(); // expires c5's short lot, released by the reschedule
  ctx.clock.set(at(D3, '11:30'));
  await step('seat 1 attended', p('POST', `/bookings/${c('groupSeat1')}/complete`));
  await step('seat 2 attended', p('POST', `/bookings/${c('groupSeat2')}/complete`));

  return { setup, practitioner: p, services, clients, lots: { c1Grant, c1Purchase, c2Grant }, purchaseId: bought.json().purchase.id, bookings };
}

/** The violations a corruption adds: whatever earlier tests broke stays broken and is left out. */
async function violationsAfter(ctx: TestContext, corrupt: () => Promise<unknown>): Promise<string[]> {
  const before = new Set(await findViolations(ctx.db));
  await corrupt();
  return (await findViolations(ctx.db)).filter((v) => !before.has(v));
}

let freeHour = 0;
/** A start no other booking is near: each corruption's bookings get their own hours, from 16 March on. */
const freeStart = () => new Date(Date.parse('2026-03-16T00:00:00.000Z') + 6 * HOUR * freeHour++).toISOString();

describeEachDialect('verify', (ctx) => {
  let h: History;
  const clientId = (i: number) => h.clients[i]!.id;
  const practiceId = () => h.setup.practitioner.practice.id;

  async function insertBooking(values: Partial<BookingRow> & Pick<BookingRow, 'client_id'>): Promise<BookingRow> {
    const start = values.start_at ?? freeStart();
    const row: BookingRow = {
      id: randomUUID(),
      practice_id: practiceId(),
      service_id: h.services.coaching,
      start_at: start,
      end_at: shift(start, HOUR),
      buffer_before_minutes: 0,
      buffer_after_minutes: 0,
      status: 'confirmed',
      payment_kind: 'free',
      credits: 0,
      sequence: 0,
      cancel_reason: null,
      cancellation_json: null,
      created_at: ctx.clock.now().toISOString(),
      updated_at: ctx.clock.now().toISOString(),
      ...values,
    };
    await ctx.db.kysely.insertInto('bookings').values(row).execute();
    return row;
  }

  async function insertEntry(values: Partial<LedgerEntryRow> & Pick<LedgerEntryRow, 'client_id' | 'lot_id' | 'kind'>): Promise<LedgerEntryRow> {
    const row: LedgerEntryRow = {
      id: randomUUID(),
      practice_id: practiceId(),
      booking_id: null,
      amount: 1,
      resolves_id: null,
      actor_kind: 'system',
      actor_id: null,
      reason: 'corrupted by the test',
      created_at: ctx.clock.now().toISOString(),
      ...values,
    };
    await ctx.db.kysely.insertInto('ledger_entries').values(row).execute();
    // The lot's stored buckets move with it, as appendEntries moves them: each test corrupts one thing.
    // An entry of an unknown kind or a zero amount (what such a test is about) moves nothing.
    const wellFormed = ENTRY_KINDS.includes(row.kind) && (row.kind === 'adjust' ? row.amount !== 0 : row.amount > 0);
    if (!wellFormed) return row;
    const moved = bucketsOf([row]);
    await ctx.db.kysely
      .updateTable('lots')
      .set((eb) => ({
        granted: eb('granted', '+', moved.granted),
        available: eb('available', '+', moved.available),
        held: eb('held', '+', moved.held),
        used: eb('used', '+', moved.used),
        expired: eb('expired', '+', moved.expired),
      }))
      .where('id', '=', row.lot_id)
      .execute();
    return row;
  }

  async function insertFee(values: Partial<FeeRow> & Pick<FeeRow, 'client_id' | 'booking_id'>): Promise<FeeRow> {
    const row: FeeRow = { id: randomUUID(), practice_id: practiceId(), amount: 2500, currency: 'USD', status: 'owed', reason: 'test', created_at: ctx.clock.now().toISOString(), resolved_at: null, ...values };
    await ctx.db.kysely.insertInto('fees').values(row).execute();
    return row;
  }

  /** A confirmed booking of client 2 paid with one credit of their grant, as bookSession writes it. */
  async function heldBooking(values: Partial<BookingRow> = {}) {
    const booking = await insertBooking({ client_id: clientId(1), payment_kind: 'credits', credits: 1, ...values });
    const hold = await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: 'hold', booking_id: booking.id });
    return { booking, hold };
  }

  beforeAll(async () => {
    h = await buildHistory(ctx);
  });

  it('finds nothing wrong in a history of every legitimate kind', async () => {
    expect(await findViolations(ctx.db)).toEqual([]);
    const statuses = await ctx.db.kysely.selectFrom('bookings').select('status').distinct().execute();
    expect(statuses.map((s) => s.status).sort()).toEqual(['cancelled', 'completed', 'confirmed', 'late_cancelled', 'no_show']);
  });

  describe('what verify checked before, now aggregated in SQL', () => {
    it('reports a lot whose held credits go negative, and a consume that resolves no hold', async () => {
      const lot = await grant(h.practitioner, clientId(1), { credits: 1 });
      let consume: LedgerEntryRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        consume = await insertEntry({ client_id: clientId(1), lot_id: lot, kind: 'consume', booking_id: h.bookings.onBehalf! });
      });
      expect(found).toEqual([`lot ${lot}: held is negative (-1)`, `entry ${consume!.id} (consume) must resolve a hold`]);
    });

    it('reports a lot whose stored buckets differ from the sums of its entries', async () => {
      const lot = await grant(h.practitioner, clientId(1), { credits: 3 });
      const found = await violationsAfter(ctx, async () => {
        await ctx.db.kysely.updateTable('lots').set({ available: 2, expired: 1 }).where('id', '=', lot).execute();
      });
      expect(found).toEqual([`lot ${lot}: stored available 2 ≠ 3 summed from its entries`, `lot ${lot}: stored expired 1 ≠ 0 summed from its entries`]);
    });

    it('reports an upcoming booking that holds less than its cost, and a cancelled one that still holds', async () => {
      const { booking: cancelled } = await heldBooking();
      let unpaid: BookingRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        await ctx.db.kysely.updateTable('bookings').set({ status: 'cancelled' }).where('id', '=', cancelled.id).execute();
        unpaid = await insertBooking({ client_id: clientId(1), payment_kind: 'credits', credits: 1 });
      });
      expect(found.sort()).toEqual([`booking ${cancelled.id} (cancelled) still holds 1 credit(s)`, `booking ${unpaid!.id} (confirmed) holds 0 credit(s), its cost is 1`].sort());
    });

    it('reports a paid purchase that granted no lot', async () => {
      const id = randomUUID();
      const now = ctx.clock.now().toISOString();
      const found = await violationsAfter(ctx, () =>
        ctx.db.kysely.insertInto('purchases').values({ id, practice_id: practiceId(), client_id: clientId(2), package_id: h.setup.pkg.id, status: 'paid', provider: 'manual', amount: 40000, currency: 'USD', payment_ref: `test_${id}`, created_at: now, paid_at: now }).execute(),
      );
      expect(found).toEqual([`purchase ${id} (paid) granted 0 lots`]);
    });

    it('reports two confirmed bookings that overlap, and more bookings in a slot than its seats', async () => {
      const start = freeStart();
      let added: BookingRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        added = await insertBooking({ client_id: clientId(2), start_at: at(D5, '11:40'), end_at: at(D5, '11:50') });
        await insertBooking({ client_id: clientId(2), start_at: start });
        await insertBooking({ client_id: clientId(3), start_at: start });
      });
      expect(found).toEqual([`slot ${practiceId()}|${h.services.coaching}|${start} has 2 bookings for 1 seat(s)`, `bookings ${h.bookings.onBehalf} and ${added!.id} overlap`]);
    });
  });

  describe('(a) a booking’s status matches how its credits were resolved', () => {
    const outcome = (o: string) => JSON.stringify({ outcome: o, credits: 1, fee: null, deadline: '2026-03-01T00:00:00.000Z' });
    const cases: { title: string; kind: 'release' | 'consume' | 'forfeit'; status: BookingRow['status']; outcome?: string; fee?: boolean; rule: string | null }[] = [
      { title: 'a completed session whose credit was released', kind: 'release', status: 'completed', rule: 'consumed 0 and forfeited 0 of its 1 credit(s): a completed session consumes exactly its credits' },
      { title: 'a completed session whose credit was forfeited', kind: 'forfeit', status: 'completed', rule: 'consumed 0 and forfeited 1 of its 1 credit(s): a completed session consumes exactly its credits' },
      { title: 'a cancellation that consumed the credit', kind: 'consume', status: 'cancelled', outcome: 'release', rule: 'consumed 1 and forfeited 0 of its 1 credit(s): a cancellation releases its credits' },
      { title: 'a cancellation that forfeited the credit', kind: 'forfeit', status: 'cancelled', outcome: 'release', rule: 'consumed 0 and forfeited 1 of its 1 credit(s): a cancellation releases its credits' },
      { title: 'a cancellation whose stored outcome is a forfeit', kind: 'release', status: 'cancelled', outcome: 'forfeit', rule: 'consumed 0 and forfeited 0 of its 1 credit(s): a cancellation releases its credits' },
      { title: 'a late cancellation, outcome forfeit, that released', kind: 'release', status: 'late_cancelled', outcome: 'forfeit', rule: 'consumed 0 and forfeited 0 of its 1 credit(s): a late cancellation' },
      { title: 'a late cancellation, outcome fee, with no fee', kind: 'release', status: 'late_cancelled', outcome: 'fee', rule: 'consumed 0 and forfeited 0 of its 1 credit(s): a late cancellation' },
      { title: 'a late cancellation, outcome fee, that forfeited too', kind: 'forfeit', status: 'late_cancelled', outcome: 'fee', fee: true, rule: 'consumed 0 and forfeited 1 of its 1 credit(s) and has a fee: a late cancellation' },
      { title: 'a late cancellation, outcome release (that is a plain cancellation)', kind: 'release', status: 'late_cancelled', outcome: 'release', rule: 'consumed 0 and forfeited 0 of its 1 credit(s): a late cancellation' },
      { title: 'a no-show that consumed', kind: 'consume', status: 'no_show', rule: 'consumed 1 and forfeited 0 of its 1 credit(s): a no-show' },
      { title: 'a no-show that forfeited and charged a fee', kind: 'forfeit', status: 'no_show', fee: true, rule: 'consumed 0 and forfeited 1 of its 1 credit(s) and has a fee: a no-show' },
      { title: 'an upcoming booking whose credit was consumed', kind: 'consume', status: 'confirmed', rule: 'consumed 1 and forfeited 0 of its 1 credit(s): an upcoming booking has consumed and forfeited nothing' },
      // What the app writes, for contrast: nothing to report.
      { title: 'a late cancellation that released and owes a fee (allowed)', kind: 'release', status: 'late_cancelled', outcome: 'fee', fee: true, rule: null },
      { title: 'a no-show that released under a none policy (allowed)', kind: 'release', status: 'no_show', rule: null },
      { title: 'a no-show that released and owes a fee (allowed)', kind: 'release', status: 'no_show', fee: true, rule: null },
      { title: 'a no-show that forfeited (allowed)', kind: 'forfeit', status: 'no_show', rule: null },
    ];
    for (const c of cases) {
      it(`${c.rule ? 'reports' : 'accepts'} ${c.title}`, async () => {
        const { booking, hold } = await heldBooking();
        const found = await violationsAfter(ctx, async () => {
          await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: c.kind, booking_id: booking.id, resolves_id: hold.id });
          await ctx.db.kysely.updateTable('bookings').set({ status: c.status, cancellation_json: c.outcome ? outcome(c.outcome) : null }).where('id', '=', booking.id).execute();
          if (c.fee) await insertFee({ client_id: clientId(1), booking_id: booking.id });
        });
        if (c.rule === null) {
          expect(found).toEqual([]);
          return;
        }
        // An upcoming booking whose hold was resolved no longer holds its credit either.
        const unheld = c.status === 'confirmed' ? [`booking ${booking.id} (confirmed) holds 0 credit(s), its cost is 1`] : [];
        expect(found).toHaveLength(unheld.length + 1);
        expect(found.slice(0, unheld.length)).toEqual(unheld);
        expect(found.at(-1)).toContain(`booking ${booking.id} (${c.status}${c.outcome ? `, outcome ${c.outcome}` : ''}) ${c.rule}`);
      });
    }
  });

  describe('(b) every hold drew from a lot eligible at the booking’s start', () => {
    it('reports a hold on a lot that does not pay for the booking’s service', async () => {
      const lot = await grant(h.practitioner, clientId(1), { credits: 1, serviceIds: [h.services.fee] });
      let hold: LedgerEntryRow | undefined;
      const booking = await insertBooking({ client_id: clientId(1), payment_kind: 'credits', credits: 1 });
      const found = await violationsAfter(ctx, async () => {
        hold = await insertEntry({ client_id: clientId(1), lot_id: lot, kind: 'hold', booking_id: booking.id });
      });
      expect(found).toEqual([`hold ${hold!.id} of booking ${booking.id} draws from lot ${lot}, which does not pay for service ${h.services.coaching}`]);
    });

    it('reports a hold on a lot that expires before the session starts', async () => {
      const lot = await grant(h.practitioner, clientId(1), { credits: 1, validityDays: 1 });
      const expiresAt = (await ctx.db.kysely.selectFrom('lots').select('expires_at').where('id', '=', lot).executeTakeFirstOrThrow()).expires_at!;
      let hold: LedgerEntryRow | undefined;
      const booking = await insertBooking({ client_id: clientId(1), payment_kind: 'credits', credits: 1 });
      const found = await violationsAfter(ctx, async () => {
        hold = await insertEntry({ client_id: clientId(1), lot_id: lot, kind: 'hold', booking_id: booking.id });
      });
      expect(found).toEqual([`hold ${hold!.id} of booking ${booking.id} draws from lot ${lot}, which expires at ${expiresAt}, not after the session starts at ${booking.start_at}`]);
    });
  });

  describe('(c) an expire entry is dated at or after its lot’s expiry', () => {
    it('reports credits expired before the lot’s expiry', async () => {
      const lot = await grant(h.practitioner, clientId(1), { credits: 2, validityDays: 30 });
      const expiresAt = (await ctx.db.kysely.selectFrom('lots').select('expires_at').where('id', '=', lot).executeTakeFirstOrThrow()).expires_at!;
      let entry: LedgerEntryRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        entry = await insertEntry({ client_id: clientId(1), lot_id: lot, kind: 'expire' });
      });
      expect(found).toEqual([`expire ${entry!.id} of lot ${lot} is dated ${entry!.created_at}, before the lot expires at ${expiresAt}`]);
    });

    it('reports credits expired from a lot that never expires', async () => {
      let entry: LedgerEntryRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        entry = await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: 'expire' });
      });
      expect(found).toEqual([`expire ${entry!.id} of lot ${h.lots.c2Grant} (dated ${entry!.created_at}) expires a lot that never expires`]);
    });
  });

  describe('(d) an entry’s booking is its client’s, and a resolution’s booking is its hold’s', () => {
    it('reports a hold paid by another client than the booking’s', async () => {
      const booking = await insertBooking({ client_id: clientId(2), payment_kind: 'credits', credits: 1 });
      let hold: LedgerEntryRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        hold = await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: 'hold', booking_id: booking.id });
      });
      expect(found).toEqual([`entry ${hold!.id} (hold) belongs to another practice or client than its booking ${booking.id}`]);
    });

    it('reports a release that names another booking than the hold it resolves', async () => {
      const { booking, hold } = await heldBooking();
      const other = await insertBooking({ client_id: clientId(1) });
      let release: LedgerEntryRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        release = await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: 'release', booking_id: other.id, resolves_id: hold.id });
        // Held again, as a reschedule does, so that only the booking named is wrong.
        await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: 'hold', booking_id: booking.id });
      });
      expect(found).toEqual([`entry ${release!.id} (release) names another booking than the hold ${hold.id} it resolves`]);
    });

    it('reports a restore that names another booking than the forfeit it restores', async () => {
      const forfeit = await ctx.db.kysely.selectFrom('ledger_entries').selectAll().where('booking_id', '=', h.bookings.noShowForfeit!).where('kind', '=', 'forfeit').executeTakeFirstOrThrow();
      let restore: LedgerEntryRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        restore = await insertEntry({ client_id: forfeit.client_id, lot_id: forfeit.lot_id, kind: 'restore', booking_id: h.bookings.completed!, resolves_id: forfeit.id });
      });
      expect(found).toEqual([`entry ${restore!.id} (restore) names another booking than the forfeit ${forfeit.id} it resolves`]);
    });

    it('reports a booking named by an entry that moves no booking’s credits, and a hold that names none', async () => {
      let adjust: LedgerEntryRow | undefined;
      let hold: LedgerEntryRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        adjust = await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: 'adjust', booking_id: h.bookings.onBehalf! });
        hold = await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: 'hold' });
      });
      expect(found.sort()).toEqual([`entry ${adjust!.id} (adjust) names booking ${h.bookings.onBehalf}: only holds and their resolutions do`, `hold ${hold!.id} has no booking`].sort());
    });
  });

  describe('entries are well formed', () => {
    it('reports an entry of an unknown kind, and one that moves no credit', async () => {
      let unknown: LedgerEntryRow | undefined;
      let empty: LedgerEntryRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        unknown = await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: 'gift' as LedgerEntryRow['kind'] });
        empty = await insertEntry({ client_id: clientId(1), lot_id: h.lots.c2Grant, kind: 'adjust', amount: 0 });
      });
      expect(found.sort()).toEqual([`entry ${unknown!.id} has unknown kind gift`, `entry ${empty!.id} (adjust) moves 0 credit(s): an adjustment moves a non-zero amount`].sort());
    });
  });

  describe('(e) a purchase’s lot is granted once, to the buyer, for the package bought', () => {
    async function insertPurchase(client: string) {
      const id = randomUUID();
      const now = ctx.clock.now().toISOString();
      await ctx.db.kysely.insertInto('purchases').values({ id, practice_id: practiceId(), client_id: client, package_id: h.setup.pkg.id, status: 'paid', provider: 'manual', amount: 40000, currency: 'USD', payment_ref: `test_${id}`, created_at: now, paid_at: now }).execute();
      return id;
    }
    async function insertLot(client: string, purchaseId: string, packageId: string | null) {
      const id = randomUUID();
      await ctx.db.kysely.insertInto('lots').values({ id, practice_id: practiceId(), client_id: client, package_id: packageId, package_name: '5 sessions', purchase_id: purchaseId, service_ids_json: null, expires_at: null, created_at: ctx.clock.now().toISOString() }).execute();
      await insertEntry({ client_id: client, lot_id: id, kind: 'grant', amount: 5 });
      return id;
    }

    it('reports a purchase whose lot went to another client', async () => {
      let purchase = '';
      let lot = '';
      const found = await violationsAfter(ctx, async () => {
        purchase = await insertPurchase(clientId(2));
        lot = await insertLot(clientId(1), purchase, h.setup.pkg.id);
      });
      expect(found).toEqual([`lot ${lot} of purchase ${purchase} was granted to client ${clientId(1)}, not to the buyer ${clientId(2)}`]);
    });

    it('reports a purchase whose lot is not of the package bought', async () => {
      let purchase = '';
      let lot = '';
      const found = await violationsAfter(ctx, async () => {
        purchase = await insertPurchase(clientId(2));
        lot = await insertLot(clientId(2), purchase, null);
      });
      expect(found).toEqual([`lot ${lot} of purchase ${purchase} is of package none, not of the package bought ${h.setup.pkg.id}`]);
    });

    it('reports a purchase’s lot granted a second time', async () => {
      const found = await violationsAfter(ctx, () => insertEntry({ client_id: clientId(0), lot_id: h.lots.c1Purchase, kind: 'grant', amount: 5 }));
      expect(found).toEqual([`lot ${h.lots.c1Purchase} has 2 grant entries (every lot is created by one)`]);
    });
  });

  describe('(f) a client is in one session at a time', () => {
    it('reports a client holding two seats of one group session', async () => {
      const start = freeStart();
      let a: BookingRow | undefined;
      let b: BookingRow | undefined;
      const found = await violationsAfter(ctx, async () => {
        a = await insertBooking({ client_id: clientId(3), service_id: h.services.group, start_at: start });
        b = await insertBooking({ client_id: clientId(3), service_id: h.services.group, start_at: start, status: 'pending_payment' });
      });
      const [first, second] = [a!.id, b!.id].sort();
      expect(found).toEqual([`client ${clientId(3)} has overlapping bookings ${first} and ${second}`]);
    });
  });

  describe('(g) fees exist only on late-cancelled and no-show bookings', () => {
    for (const [name, what] of [['completed', 'a completed session'], ['cancelledInTime', 'a timely cancellation'], ['onBehalf', 'an upcoming booking']] as const) {
      it(`reports a fee on ${what}`, async () => {
        const booking = await ctx.db.kysely.selectFrom('bookings').selectAll().where('id', '=', h.bookings[name]!).executeTakeFirstOrThrow();
        let fee: FeeRow | undefined;
        const found = await violationsAfter(ctx, async () => {
          fee = await insertFee({ client_id: booking.client_id, booking_id: booking.id });
        });
        expect(found).toEqual([`fee ${fee!.id} on booking ${booking.id} (${booking.status}): fees are owed only for a late cancellation or a no-show`]);
      });
    }
  });

  describe('(h) no two bookings that occupy the calendar overlap', () => {
    const cases: { title: string; over: string; start: string; minutes: number; status?: BookingRow['status'] }[] = [
      { title: 'a pending payment over a confirmed booking', over: 'moved', start: at(D5, '10:30'), minutes: 20, status: 'pending_payment' },
      { title: 'a confirmed booking over a completed one', over: 'completed', start: at(D1, '09:15'), minutes: 30 },
      { title: 'a confirmed booking over a no-show', over: 'noShowForfeit', start: at(D2, '10:15'), minutes: 30 },
      { title: 'a session inside another booking’s after-buffer', over: 'buffered2', start: at(D4, '10:50'), minutes: 5 },
    ];
    for (const c of cases) {
      it(`reports ${c.title}`, async () => {
        let added: BookingRow | undefined;
        const found = await violationsAfter(ctx, async () => {
          added = await insertBooking({ client_id: clientId(4), start_at: c.start, end_at: shift(c.start, c.minutes * MINUTE), status: c.status ?? 'confirmed' });
        });
        expect(found).toEqual([`bookings ${h.bookings[c.over]} and ${added!.id} overlap`]);
      });
    }

    it('reports a group session with more seats taken than its capacity, attended seats included', async () => {
      const found = await violationsAfter(ctx, () => insertBooking({ client_id: clientId(4), service_id: h.services.group, start_at: at(D3, '11:00') }));
      expect(found).toEqual([`slot ${practiceId()}|${h.services.group}|${at(D3, '11:00')} has 3 bookings for 2 seat(s)`]);
    });
  });
});
