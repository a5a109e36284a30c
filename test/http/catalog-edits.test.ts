import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { grantCredits } from '../../src/app/practitioner-credits.js';
import { describeEachDialect, TEST_START, type TestContext } from '../support/app.js';
import { as, expectOk, type Reply } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient, type PracticeSetup } from '../support/scenario.js';

/*
 * Catalog edits that meet what is already sold or booked (review C5, C7, S6): deleting a
 * package's last service, lowering a service's capacity, changing its duration. The clock stands
 * at Monday 2026-03-02 08:00Z; the practice (Europe/London, GMT in March) is open Mon–Fri 09–17.
 */

const usd = (amount: number) => ({ amount, currency: 'USD' });
const deleteService = (ctx: TestContext, headers: Record<string, string>, id: string) => ctx.app.inject({ method: 'DELETE', url: `/api/v1/services/${id}`, headers });

function expectProblem(res: Reply, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status, code });
}

/** A new client of the practice who bought the 5-session package. */
async function clientWithCredits(ctx: TestContext, setup: PracticeSetup) {
  const signedIn = await signInClient(ctx, setup.practitioner.practice.slug);
  const client = as(ctx, signedIn.headers);
  expectOk(await client('POST', '/me/purchases', { packageId: setup.pkg.id }), 201);
  return { ...signedIn, call: client };
}

describeEachDialect('catalog edits against what is sold and booked', (ctx) => {
  beforeEach(() => ctx.clock.set(TEST_START));
  afterEach(() => expectInvariants(ctx));

  describe('deleting the last service a package names', () => {
    it('deactivates the package in the same step, so it is no longer sold', async () => {
      const { practitioner: p } = await setUpPractice(ctx);
      const practitioner = as(ctx, p.headers);
      const gone = (await practitioner('POST', '/services', { name: 'Gone', durationMinutes: 30 })).json();
      const pkg = (await practitioner('POST', '/packages', { name: 'Gone only', credits: 5, price: usd(100), serviceIds: [gone.id] })).json();

      expectOk(await deleteService(ctx, p.headers, gone.id), 204);

      expect((await practitioner('GET', `/packages/${pkg.id}`)).json()).toEqual({ ...pkg, serviceIds: [], active: false });
      const page = (await ctx.app.inject({ method: 'GET', url: `/api/v1/public/${p.practice.slug}` })).json();
      expect(page.packages.map((k: { id: string }) => k.id)).not.toContain(pkg.id);
      const client = as(ctx, (await signInClient(ctx, p.practice.slug)).headers);
      expectProblem(await client('POST', '/me/purchases', { packageId: pkg.id }), 404, 'not_found');
      expect((await client('GET', '/me')).json().credits).toEqual({ available: 0, held: 0, used: 0, expired: 0 });
    });

    it('keeps a package active while it still names another service', async () => {
      const { practitioner: p, service } = await setUpPractice(ctx);
      const practitioner = as(ctx, p.headers);
      const gone = (await practitioner('POST', '/services', { name: 'Gone', durationMinutes: 30 })).json();
      const pkg = (await practitioner('POST', '/packages', { name: 'Both', credits: 5, price: usd(100), serviceIds: [service.id, gone.id] })).json();
      expectOk(await deleteService(ctx, p.headers, gone.id), 204);
      expect((await practitioner('GET', `/packages/${pkg.id}`)).json()).toEqual({ ...pkg, serviceIds: [service.id], active: true });
    });

    it('refuses to sell such a package again until it names a service (409 conflict)', async () => {
      const { practitioner: p, service } = await setUpPractice(ctx);
      const practitioner = as(ctx, p.headers);
      const gone = (await practitioner('POST', '/services', { name: 'Gone', durationMinutes: 30 })).json();
      const pkg = (await practitioner('POST', '/packages', { name: 'Gone only', credits: 5, price: usd(100), serviceIds: [gone.id] })).json();
      expectOk(await deleteService(ctx, p.headers, gone.id), 204);

      const reactivated = await practitioner('PATCH', `/packages/${pkg.id}`, { active: true });
      expectProblem(reactivated, 409, 'conflict');
      expect(reactivated.json().detail).toMatch(/names no service/);
      expect((await practitioner('PATCH', `/packages/${pkg.id}`, { name: 'Renamed' })).json()).toMatchObject({ name: 'Renamed', active: false });
      const fixed = await practitioner('PATCH', `/packages/${pkg.id}`, { active: true, serviceIds: [service.id] });
      expectOk(fixed);
      expect(fixed.json()).toMatchObject({ serviceIds: [service.id], active: true });
    });
  });

  describe('grants name at least one service', () => {
    it('refuses a grant with an empty serviceIds (400), granting nothing', async () => {
      const { practitioner: p } = await setUpPractice(ctx);
      const practitioner = as(ctx, p.headers);
      const signedIn = await signInClient(ctx, p.practice.slug);
      const res = await practitioner('POST', `/clients/${signedIn.id}/grants`, { credits: 2, serviceIds: [], reason: 'for nothing' });
      expectProblem(res, 400, 'validation_failed');
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain('/serviceIds');
      expect((await practitioner('GET', `/clients/${signedIn.id}`)).json().lots).toEqual([]);
    });

    it('refuses an empty serviceIds in the use case too, whoever calls it', async () => {
      const { practitioner: p } = await setUpPractice(ctx);
      const signedIn = await signInClient(ctx, p.practice.slug);
      const owner = { practiceId: p.practice.id, clientId: signedIn.id };
      const grant = ctx.db.write((trx) =>
        grantCredits(ctx.db, trx, owner, { credits: 2, serviceIds: [], reason: 'for nothing' }, { kind: 'practitioner', id: p.user.id }, ctx.clock.now()),
      );
      await expect(grant).rejects.toMatchObject({ code: 'validation_failed', extra: { errors: [{ path: '/serviceIds', message: expect.any(String) }] } });
    });
  });

  describe('lowering a service’s capacity', () => {
    const WED_10 = '2026-03-04T10:00:00.000Z';
    const WED_11 = '2026-03-04T11:00:00.000Z';

    it('refuses a capacity below the seats booked at a start, listing the over-full slots (409), and changes nothing', async () => {
      const setup = await setUpPractice(ctx, { service: { capacity: 3 } });
      const practitioner = as(ctx, setup.practitioner.headers);
      const [a, b, c] = [await clientWithCredits(ctx, setup), await clientWithCredits(ctx, setup), await clientWithCredits(ctx, setup)];
      for (const [who, start] of [[a, WED_10], [b, WED_10], [c, WED_11]] as const) {
        expectOk(await who.call('POST', '/me/bookings', { serviceId: setup.service.id, start }), 201);
      }

      const refused = await practitioner('PATCH', `/services/${setup.service.id}`, { name: 'Small group', capacity: 1 });
      expectProblem(refused, 409, 'conflict');
      expect(refused.json().slots).toEqual([{ start: WED_10, booked: 2 }]);
      expect(refused.json().detail).toMatch(/at least 2/);
      expect((await practitioner('GET', `/services/${setup.service.id}`)).json()).toMatchObject({ name: 'Coaching session', capacity: 3 });

      expect((await practitioner('PATCH', `/services/${setup.service.id}`, { capacity: 2 })).json().capacity).toBe(2);
    });

    it('counts only the seats that still hold their slot: a cancelled seat frees the way', async () => {
      const setup = await setUpPractice(ctx, { service: { capacity: 2 } });
      const practitioner = as(ctx, setup.practitioner.headers);
      const [a, b] = [await clientWithCredits(ctx, setup), await clientWithCredits(ctx, setup)];
      expectOk(await a.call('POST', '/me/bookings', { serviceId: setup.service.id, start: WED_10 }), 201);
      const second = await b.call('POST', '/me/bookings', { serviceId: setup.service.id, start: WED_10 });
      expectOk(second, 201);
      expectProblem(await practitioner('PATCH', `/services/${setup.service.id}`, { capacity: 1 }), 409, 'conflict');

      expectOk(await b.call('POST', `/me/bookings/${second.json().booking.id}/cancel`));
      expect((await practitioner('PATCH', `/services/${setup.service.id}`, { capacity: 1 })).json().capacity).toBe(1);
    });

    it('decides a capacity cut racing a booking for the second seat one after the other: never two seats for one', async () => {
      const setup = await setUpPractice(ctx, { service: { capacity: 2 } });
      const practitioner = as(ctx, setup.practitioner.headers);
      for (const hour of [9, 10, 11, 12, 13]) {
        const start = `2026-03-04T${String(hour).padStart(2, '0')}:00:00.000Z`;
        expectOk(await practitioner('PATCH', `/services/${setup.service.id}`, { capacity: 2 }));
        const [a, b] = [await clientWithCredits(ctx, setup), await clientWithCredits(ctx, setup)];
        expectOk(await a.call('POST', '/me/bookings', { serviceId: setup.service.id, start }), 201);
        const [booked, cut] = await Promise.all([
          b.call('POST', '/me/bookings', { serviceId: setup.service.id, start }),
          practitioner('PATCH', `/services/${setup.service.id}`, { capacity: 1 }),
        ]);
        const outcome = `${booked.statusCode} ${booked.json().code ?? ''} / ${cut.statusCode} ${cut.json().code ?? ''}`;
        expect(['201  / 409 conflict', '409 slot_unavailable / 200 ']).toContain(outcome);
        await expectInvariants(ctx);
        // Free the slot again for the next round's capacity 2.
        if (booked.statusCode === 201) expectOk(await b.call('POST', `/me/bookings/${booked.json().booking.id}/cancel`));
      }
    });
  });

  describe('changing a service’s duration (a booking keeps its own session)', () => {
    const WED_10 = '2026-03-04T10:00:00.000Z';
    const WED_11 = '2026-03-04T11:00:00.000Z';
    const THU_10 = '2026-03-05T10:00:00.000Z';
    const THU_11 = '2026-03-05T11:00:00.000Z';
    const slotsOn = async (setup: PracticeSetup, date: string) => {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/public/${setup.practitioner.practice.slug}/services/${setup.service.id}/slots?from=${date}&to=${date}` });
      expectOk(res);
      return res.json().slots as { start: string; end: string; remaining: number }[];
    };

    it('moves a booking with its own length when the service has become shorter since it was booked', async () => {
      const setup = await setUpPractice(ctx, { service: { bufferAfterMinutes: 15 } });
      const practitioner = as(ctx, setup.practitioner.headers);
      const a = await clientWithCredits(ctx, setup);
      const booked = await a.call('POST', '/me/bookings', { serviceId: setup.service.id, start: WED_10 });
      expectOk(booked, 201);
      expectOk(await practitioner('PATCH', `/services/${setup.service.id}`, { durationMinutes: 30, slotStepMinutes: 60, bufferAfterMinutes: 0 }));

      const moved = await a.call('POST', `/me/bookings/${booked.json().booking.id}/reschedule`, { start: THU_10 });
      expectOk(moved);
      expect(moved.json().booking).toMatchObject({ start: THU_10, end: THU_11 });
      // Its 15-minute buffer moved with it: 11:00 Thursday is taken by the buffer, 12:00 is free.
      const thursday = (await slotsOn(setup, '2026-03-05')).map((s) => s.start);
      expect(thursday).not.toContain(THU_10);
      expect(thursday).not.toContain(THU_11);
      expect(thursday).toContain('2026-03-05T12:00:00.000Z');
    });

    it('moves a booking with its own length when the service has become longer, refusing a start where that length would not fit', async () => {
      const setup = await setUpPractice(ctx);
      const practitioner = as(ctx, setup.practitioner.headers);
      const a = await clientWithCredits(ctx, setup);
      const b = await clientWithCredits(ctx, setup);
      expectOk(await b.call('POST', '/me/bookings', { serviceId: setup.service.id, start: '2026-03-05T11:00:00.000Z' }), 201);
      const booked = await a.call('POST', '/me/bookings', { serviceId: setup.service.id, start: WED_10 });
      expectOk(booked, 201);
      expectOk(await practitioner('PATCH', `/services/${setup.service.id}`, { durationMinutes: 120, slotStepMinutes: 60 }));

      // Thursday 10:00 is no slot for 120 minutes (b's session at 11:00), but is one for this 60-minute booking.
      expect((await slotsOn(setup, '2026-03-05')).map((s) => s.start)).not.toContain(THU_10);
      const moved = await a.call('POST', `/me/bookings/${booked.json().booking.id}/reschedule`, { start: THU_10 });
      expectOk(moved);
      expect(moved.json().booking).toMatchObject({ start: THU_10, end: THU_11 });
    });

    it('refuses to move a booking where its own after-buffer would overlap a session, after the service lost its buffer', async () => {
      const setup = await setUpPractice(ctx, { service: { bufferAfterMinutes: 60 } });
      const practitioner = as(ctx, setup.practitioner.headers);
      const a = await clientWithCredits(ctx, setup);
      const b = await clientWithCredits(ctx, setup);
      const booked = await a.call('POST', '/me/bookings', { serviceId: setup.service.id, start: '2026-03-05T15:00:00.000Z' });
      expectOk(booked, 201);
      expectOk(await practitioner('PATCH', `/services/${setup.service.id}`, { bufferAfterMinutes: 0 }));
      expectOk(await b.call('POST', '/me/bookings', { serviceId: setup.service.id, start: '2026-03-05T12:00:00.000Z' }), 201);

      // 11:00–12:00 with its own 60-minute after-buffer would run into b's 12:00 session.
      expectProblem(await a.call('POST', `/me/bookings/${booked.json().booking.id}/reschedule`, { start: '2026-03-05T11:00:00.000Z' }), 409, 'slot_unavailable');
    });

    it('gives a new seat of a group slot the end of the seats already booked there, after the service became longer', async () => {
      const setup = await setUpPractice(ctx, { service: { capacity: 3 } });
      const practitioner = as(ctx, setup.practitioner.headers);
      const [a, b] = [await clientWithCredits(ctx, setup), await clientWithCredits(ctx, setup)];
      expectOk(await a.call('POST', '/me/bookings', { serviceId: setup.service.id, start: '2026-03-04T16:00:00.000Z' }), 201);
      expectOk(await a.call('POST', '/me/bookings', { serviceId: setup.service.id, start: WED_10 }), 201);
      expectOk(await practitioner('PATCH', `/services/${setup.service.id}`, { durationMinutes: 90, slotStepMinutes: 60 }));

      const wednesday = await slotsOn(setup, '2026-03-04');
      expect(wednesday.find((s) => s.start === WED_10)).toEqual({ start: WED_10, end: WED_11, remaining: 2 });
      // 16:00-17:00 has a seat and still fits the hours; 90 minutes would not.
      expect(wednesday.find((s) => s.start === '2026-03-04T16:00:00.000Z')).toEqual({ start: '2026-03-04T16:00:00.000Z', end: '2026-03-04T17:00:00.000Z', remaining: 2 });
      expect(wednesday.find((s) => s.start === '2026-03-04T13:00:00.000Z')).toEqual({ start: '2026-03-04T13:00:00.000Z', end: '2026-03-04T14:30:00.000Z', remaining: 3 });

      const joined = await b.call('POST', '/me/bookings', { serviceId: setup.service.id, start: WED_10 });
      expectOk(joined, 201);
      expect(joined.json().booking).toMatchObject({ start: WED_10, end: WED_11 });
      const late = await b.call('POST', '/me/bookings', { serviceId: setup.service.id, start: '2026-03-04T16:00:00.000Z' });
      expectOk(late, 201);
      expect(late.json().booking.end).toBe('2026-03-04T17:00:00.000Z');
      const fresh = await b.call('POST', '/me/bookings', { serviceId: setup.service.id, start: '2026-03-05T13:00:00.000Z' });
      expectOk(fresh, 201);
      expect(fresh.json().booking.end).toBe('2026-03-05T14:30:00.000Z');
    });

    it('gives a booking moved into a group slot the end of the seats already booked there', async () => {
      const setup = await setUpPractice(ctx, { service: { capacity: 3 } });
      const practitioner = as(ctx, setup.practitioner.headers);
      const [a, b] = [await clientWithCredits(ctx, setup), await clientWithCredits(ctx, setup)];
      expectOk(await a.call('POST', '/me/bookings', { serviceId: setup.service.id, start: WED_10 }), 201);
      expectOk(await practitioner('PATCH', `/services/${setup.service.id}`, { durationMinutes: 30, slotStepMinutes: 60 }));
      const short = await b.call('POST', '/me/bookings', { serviceId: setup.service.id, start: THU_10 });
      expectOk(short, 201);
      expect(short.json().booking.end).toBe('2026-03-05T10:30:00.000Z');

      const moved = await b.call('POST', `/me/bookings/${short.json().booking.id}/reschedule`, { start: WED_10 });
      expectOk(moved);
      expect(moved.json().booking).toMatchObject({ start: WED_10, end: WED_11 });
      const seats = (await practitioner('GET', '/bookings?from=2026-03-04T00:00:00.000Z&to=2026-03-05T00:00:00.000Z')).json().items;
      expect(seats.map((s: { start: string; end: string }) => [s.start, s.end])).toEqual([[WED_10, WED_11], [WED_10, WED_11]]);
    });
  });
});
