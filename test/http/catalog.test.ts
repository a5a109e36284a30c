import { describe, expect, it } from 'vitest';
import {
  BUFFER_MINUTES_MAX,
  CAPACITY_MAX,
  CREDIT_COST_MAX,
  DURATION_MINUTES_MAX,
  DURATION_MINUTES_MIN,
  MAX_ADVANCE_DAYS_MAX,
  MIN_NOTICE_MINUTES_MAX,
  SLOT_STEP_MINUTES_MIN,
} from '../../src/app/services.js';
import { PACKAGE_CREDITS_MAX, VALIDITY_DAYS_MAX } from '../../src/app/packages.js';
import { describeEachDialect, TEST_START, type TestContext } from '../support/app.js';
import { signUpPractitioner, unique, type Practitioner } from '../support/api.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Requests as one practitioner; PATCH goes as application/merge-patch+json, as a careful client would send it. */
function as(ctx: TestContext, p: Practitioner) {
  return (method: Method, url: string, payload?: object) =>
    ctx.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...p.headers, ...(payload && method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}) },
      ...(payload ? { payload: method === 'PATCH' ? JSON.stringify(payload) : payload } : {}),
    });
}

function errorPaths(res: { json(): { errors?: { path: string }[] } }): string[] {
  return (res.json().errors ?? []).map((e) => e.path);
}

const usd = (amount: number) => ({ amount, currency: 'USD' });
type Call = ReturnType<typeof as>;
/** A setup step that must succeed; its body. */
async function arranged(res: Promise<{ statusCode: number; body: string; json(): any }>) {
  const done = await res;
  expect(done.statusCode, done.body).toBeLessThan(300);
  return done.json();
}

describeEachDialect('practitioner catalog', (ctx) => {
  describe('services', () => {
    it('creates a service from a name and a duration, defaulting everything else', async () => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('POST', '/services', { name: 'Massage', durationMinutes: 45 });
      expect(res.statusCode).toBe(201);
      const practice = (await as(ctx, p)('GET', '/practice')).json();
      expect(res.json()).toEqual({
        id: expect.any(String),
        name: 'Massage',
        description: '',
        durationMinutes: 45,
        creditCost: 1,
        price: null,
        bufferBeforeMinutes: 0,
        bufferAfterMinutes: 0,
        minNoticeMinutes: 0,
        maxAdvanceDays: 60,
        slotStepMinutes: 45,
        capacity: 1,
        policy: null,
        effectivePolicy: practice.policy,
        active: true,
      });
      expect((await as(ctx, p)('GET', `/services/${res.json().id}`)).json()).toEqual(res.json());
    });

    it('keeps every field given on create, with the price in the practice currency', async () => {
      const p = await signUpPractitioner(ctx);
      const input = {
        name: 'Group class',
        description: 'Bring a mat.',
        durationMinutes: 60,
        creditCost: 0,
        price: usd(2500),
        bufferBeforeMinutes: 10,
        bufferAfterMinutes: 15,
        minNoticeMinutes: 120,
        maxAdvanceDays: 30,
        slotStepMinutes: 30,
        capacity: 12,
        policy: { windowHours: 12, lateCancel: 'none' },
        active: false,
      };
      const res = await as(ctx, p)('POST', '/services', input);
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ ...input, effectivePolicy: { windowHours: 12, lateCancel: 'none', noShow: 'forfeit' } });
    });

    it.each([
      ['durationMinutes', DURATION_MINUTES_MIN - 1],
      ['durationMinutes', DURATION_MINUTES_MAX + 1],
      ['creditCost', -1],
      ['creditCost', CREDIT_COST_MAX + 1],
      ['bufferAfterMinutes', BUFFER_MINUTES_MAX + 1],
      ['minNoticeMinutes', MIN_NOTICE_MINUTES_MAX + 1],
      ['maxAdvanceDays', 0],
      ['maxAdvanceDays', MAX_ADVANCE_DAYS_MAX + 1],
      ['slotStepMinutes', SLOT_STEP_MINUTES_MIN - 1],
      ['capacity', 0],
      ['capacity', CAPACITY_MAX + 1],
      ['name', ''],
      ['description', 'x'.repeat(5001)],
    ])('refuses %s = %s', async (field, value) => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('POST', '/services', { name: 'Massage', durationMinutes: 60, [field]: value });
      expect(res.statusCode).toBe(400);
      expect(errorPaths(res)).toEqual([`/${field}`]);
    });

    it('requires only a name and a duration', async () => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('POST', '/services', {});
      expect(res.statusCode).toBe(400);
      expect(errorPaths(res).sort()).toEqual(['/durationMinutes', '/name']);
    });

    it('refuses money in another currency than the practice’s, naming each field at once', async () => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('POST', '/services', {
        name: 'Massage',
        durationMinutes: 60,
        price: { amount: 5000, currency: 'EUR' },
        policy: { lateCancel: 'fee', lateCancelFee: { amount: 1000, currency: 'GBP' } },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('validation_failed');
      expect(errorPaths(res)).toEqual(['/price/currency', '/policy/lateCancelFee/currency']);
      const list = await as(ctx, p)('GET', '/services');
      expect(list.json().items).toEqual([]);
    });
  });

  describe('PATCH is a JSON Merge Patch', () => {
    async function serviceWithOverride(p: Practitioner) {
      const res = await as(ctx, p)('POST', '/services', { name: 'Massage', description: 'Deep tissue', durationMinutes: 60, price: usd(9000), policy: { windowHours: 12, lateCancel: 'none' } });
      return res.json() as { id: string };
    }

    it('changes a nested policy field alone, and nothing that was not sent', async () => {
      const p = await signUpPractitioner(ctx);
      const service = await serviceWithOverride(p);
      const res = await as(ctx, p)('PATCH', `/services/${service.id}`, { policy: { windowHours: 48 } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        name: 'Massage',
        description: 'Deep tissue',
        price: usd(9000),
        policy: { windowHours: 48, lateCancel: 'none' },
        effectivePolicy: { windowHours: 48, lateCancel: 'none', noShow: 'forfeit', clientReschedule: true },
      });
      expect((await as(ctx, p)('GET', `/services/${service.id}`)).json()).toEqual(res.json());
    });

    it('accepts application/json as well as application/merge-patch+json', async () => {
      const p = await signUpPractitioner(ctx);
      const service = await serviceWithOverride(p);
      const res = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/services/${service.id}`, headers: p.headers, payload: { name: 'Sports massage' } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ name: 'Sports massage', description: 'Deep tissue' });
    });

    it('clears optional fields with null: the policy inherits the practice’s again, and a null price stops selling it alone', async () => {
      const p = await signUpPractitioner(ctx);
      const service = await serviceWithOverride(p);
      const res = await as(ctx, p)('PATCH', `/services/${service.id}`, { policy: null, price: null });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ policy: null, price: null, effectivePolicy: { windowHours: 24, lateCancel: 'forfeit' } });
    });

    it('removes one override field with null inside the policy, inheriting that field only', async () => {
      const p = await signUpPractitioner(ctx);
      const service = await serviceWithOverride(p);
      const res = await as(ctx, p)('PATCH', `/services/${service.id}`, { policy: { windowHours: null } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ policy: { lateCancel: 'none' }, effectivePolicy: { windowHours: 24, lateCancel: 'none' } });
      expect(res.json().policy).not.toHaveProperty('windowHours');
      const created = await as(ctx, p)('POST', '/services', { name: 'Call', durationMinutes: 15, policy: { windowHours: null, noShow: 'none' } });
      expect(created.json()).toMatchObject({ policy: { noShow: 'none' }, effectivePolicy: { windowHours: 24, noShow: 'none' } });
    });

    it('lets a service’s effective policy follow a later change of the practice’s, except where it overrides', async () => {
      const p = await signUpPractitioner(ctx);
      const overriding = await serviceWithOverride(p);
      const inheriting = (await as(ctx, p)('POST', '/services', { name: 'Intro call', durationMinutes: 20 })).json();
      const practice = await as(ctx, p)('PATCH', '/practice', { policy: { windowHours: 6, noShow: 'fee', noShowFee: usd(3000) } });
      expect(practice.statusCode).toBe(200);
      expect((await as(ctx, p)('GET', `/services/${inheriting.id}`)).json().effectivePolicy).toEqual({
        windowHours: 6,
        lateCancel: 'forfeit',
        noShow: 'fee',
        lateCancelFee: null,
        noShowFee: usd(3000),
        clientReschedule: true,
        blockBookingWhileFeeOwed: false,
      });
      expect((await as(ctx, p)('GET', `/services/${overriding.id}`)).json().effectivePolicy).toMatchObject({ windowHours: 12, lateCancel: 'none', noShow: 'fee' });
    });

    it('refuses a price in another currency on PATCH and changes nothing', async () => {
      const p = await signUpPractitioner(ctx);
      const service = await serviceWithOverride(p);
      const res = await as(ctx, p)('PATCH', `/services/${service.id}`, { name: 'Renamed', price: { amount: 1, currency: 'JPY' } });
      expect(res.statusCode).toBe(400);
      expect(errorPaths(res)).toEqual(['/price/currency']);
      expect((await as(ctx, p)('GET', `/services/${service.id}`)).json()).toMatchObject({ name: 'Massage', price: usd(9000) });
    });

    it('refuses null for a field that is not optional', async () => {
      const p = await signUpPractitioner(ctx);
      const service = await serviceWithOverride(p);
      const res = await as(ctx, p)('PATCH', `/services/${service.id}`, { durationMinutes: null, name: null });
      expect(res.statusCode).toBe(400);
      expect(errorPaths(res).sort()).toEqual(['/durationMinutes', '/name']);
    });
  });

  describe('practice', () => {
    it('changes the name, time zone and one policy field, leaving the rest', async () => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('PATCH', '/practice', { name: 'Dana’s Studio', timeZone: 'America/New_York', policy: { windowHours: 48 } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        id: p.practice.id,
        name: 'Dana’s Studio',
        slug: p.practice.slug,
        timeZone: 'America/New_York',
        currency: 'USD',
        policy: { windowHours: 48, lateCancel: 'forfeit', noShow: 'forfeit', lateCancelFee: null, noShowFee: null, clientReschedule: true, blockBookingWhileFeeOwed: false },
      });
      expect((await as(ctx, p)('GET', '/practice')).json()).toEqual(res.json());
    });

    it('clears a fee with null', async () => {
      const p = await signUpPractitioner(ctx);
      await as(ctx, p)('PATCH', '/practice', { policy: { lateCancel: 'fee', lateCancelFee: usd(2000) } });
      const res = await as(ctx, p)('PATCH', '/practice', { policy: { lateCancelFee: null } });
      expect(res.json().policy).toMatchObject({ lateCancel: 'fee', lateCancelFee: null });
    });

    it('changes the slug, refusing a taken one with 409 conflict and a malformed one with 400', async () => {
      const a = await signUpPractitioner(ctx);
      const b = await signUpPractitioner(ctx);
      const taken = await as(ctx, b)('PATCH', '/practice', { slug: a.practice.slug });
      expect(taken.statusCode).toBe(409);
      expect(taken.json().code).toBe('conflict');
      expect(await as(ctx, b)('PATCH', '/practice', { slug: 'api' }).then(errorPaths)).toEqual(['/slug']);
      const fresh = unique('moved-');
      const moved = await as(ctx, b)('PATCH', '/practice', { slug: fresh });
      expect(moved.statusCode).toBe(200);
      expect(moved.json().slug).toBe(fresh);
      expect((await as(ctx, b)('PATCH', '/practice', { slug: fresh })).statusCode).toBe(200);
    });

    it('reports an unknown time zone and currency at once', async () => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('PATCH', '/practice', { timeZone: 'Mars/Olympus', currency: 'XYZ' });
      expect(res.statusCode).toBe(400);
      expect(errorPaths(res)).toEqual(['/timeZone', '/currency']);
    });

    it('refuses a policy fee in another currency, and takes one in the new currency when both change', async () => {
      const p = await signUpPractitioner(ctx);
      const wrong = await as(ctx, p)('PATCH', '/practice', { policy: { noShowFee: { amount: 500, currency: 'EUR' } } });
      expect(wrong.statusCode).toBe(400);
      expect(errorPaths(wrong)).toEqual(['/policy/noShowFee/currency']);
      const both = await as(ctx, p)('PATCH', '/practice', { currency: 'EUR', policy: { noShowFee: { amount: 500, currency: 'EUR' } } });
      expect(both.statusCode).toBe(200);
      expect(both.json()).toMatchObject({ currency: 'EUR', policy: { noShowFee: { amount: 500, currency: 'EUR' } } });
    });

    it.each([
      ['a service has a price', (call: Call) => arranged(call('POST', '/services', { name: 'Massage', durationMinutes: 60, price: usd(9000) })), 'service prices'],
      ['a package exists', (call: Call) => arranged(call('POST', '/packages', { name: 'Five', credits: 5, price: usd(0) })), 'package prices'],
      ['the practice’s policy has a fee', (call: Call) => arranged(call('PATCH', '/practice', { policy: { noShowFee: usd(700) } })), 'policy fees'],
      [
        'a service’s policy has a fee',
        (call: Call) => arranged(call('POST', '/services', { name: 'Massage', durationMinutes: 60, policy: { lateCancel: 'fee', lateCancelFee: usd(1500) } })),
        'policy fees',
      ],
    ])('refuses to change the currency once %s (409 conflict), rather than relabel the amounts', async (_label, arrange, named) => {
      const p = await signUpPractitioner(ctx);
      await arrange(as(ctx, p));
      const before = (await as(ctx, p)('GET', '/practice')).json();
      const res = await as(ctx, p)('PATCH', '/practice', { name: 'Renamed', currency: 'JPY' });
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'conflict', detail: expect.stringContaining(named) });
      expect(res.json().detail).toMatch(/USD/);
      expect((await as(ctx, p)('GET', '/practice')).json()).toEqual(before);
      // The same currency again is no change.
      expect((await as(ctx, p)('PATCH', '/practice', { currency: 'USD' })).statusCode).toBe(200);
    });

    it('refuses to change the currency once a purchase or a fee is recorded, naming what exists', async () => {
      ctx.clock.set(TEST_START);
      const p = await signUpPractitioner(ctx);
      const call = as(ctx, p);
      await arranged(call('PATCH', '/practice', { policy: { windowHours: 48, lateCancel: 'fee', lateCancelFee: usd(2500) } }));
      await arranged(call('PUT', '/availability', { weekly: [{ weekday: 2, start: '09:00', end: '17:00' }], overrides: [] }));
      const service = await arranged(call('POST', '/services', { name: 'Massage', durationMinutes: 60 }));
      const client = await arranged(call('POST', '/clients', { email: `${unique('c')}@example.com`, name: 'Casey' }));
      await arranged(call('POST', `/clients/${client.id}/grants`, { credits: 1, reason: 'welcome' }));
      const { booking } = await arranged(call('POST', '/bookings', { clientId: client.id, serviceId: service.id, start: '2026-03-03T09:00:00.000Z' }));
      const cancelled = await arranged(call('POST', `/bookings/${booking.id}/cancel`, { applyPolicy: true }));
      expect(cancelled.outcome.outcome).toBe('fee');
      await arranged(call('PATCH', '/practice', { policy: { lateCancel: 'none', lateCancelFee: null } }));
      const res = await call('PATCH', '/practice', { currency: 'EUR' });
      expect(res.statusCode).toBe(409);
      expect(res.json().detail).toMatch(/\bfees\b/);
      expect(res.json().detail).not.toMatch(/package|service prices|policy/);

      const other = await signUpPractitioner(ctx);
      const pkg = await arranged(as(ctx, other)('POST', '/packages', { name: 'Five', credits: 5, price: usd(40000) }));
      const buyer = await arranged(as(ctx, other)('POST', '/clients', { email: `${unique('c')}@example.com`, name: 'Casey' }));
      await arranged(as(ctx, other)('POST', `/clients/${buyer.id}/grants`, { packageId: pkg.id, payment: 'manual' }));
      expect((await as(ctx, other)('PATCH', '/practice', { currency: 'EUR' })).json().detail).toMatch(/package prices, purchases/);
    });

    it('changes the currency with the practice’s own fees restated in it, or cleared, in the same PATCH', async () => {
      const p = await signUpPractitioner(ctx);
      await as(ctx, p)('PATCH', '/practice', { policy: { lateCancelFee: usd(1000), noShowFee: usd(700) } });
      const res = await as(ctx, p)('PATCH', '/practice', { currency: 'EUR', policy: { lateCancelFee: null, noShowFee: { amount: 600, currency: 'EUR' } } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ currency: 'EUR', policy: { lateCancelFee: null, noShowFee: { amount: 600, currency: 'EUR' } } });
    });
  });

  describe('availability', () => {
    it('starts empty, and round-trips weekly hours and overrides, sorted', async () => {
      const p = await signUpPractitioner(ctx);
      expect((await as(ctx, p)('GET', '/availability')).json()).toEqual({ weekly: [], overrides: [] });
      const put = await as(ctx, p)('PUT', '/availability', {
        weekly: [
          { weekday: 3, start: '13:00', end: '17:00' },
          { weekday: 1, start: '13:00', end: '24:00' },
          { weekday: 1, start: '09:00', end: '12:00' },
          { weekday: 3, start: '09:00', end: '13:00' },
        ],
        overrides: [
          { date: '2026-12-25', intervals: [] },
          { date: '2026-04-01', intervals: [{ start: '14:00', end: '16:00' }, { start: '08:00', end: '10:00' }] },
        ],
      });
      expect(put.statusCode).toBe(200);
      const expected = {
        weekly: [
          { weekday: 1, start: '09:00', end: '12:00' },
          { weekday: 1, start: '13:00', end: '24:00' },
          { weekday: 3, start: '09:00', end: '13:00' },
          { weekday: 3, start: '13:00', end: '17:00' },
        ],
        overrides: [
          { date: '2026-04-01', intervals: [{ start: '08:00', end: '10:00' }, { start: '14:00', end: '16:00' }] },
          { date: '2026-12-25', intervals: [] },
        ],
      };
      expect(put.json()).toEqual(expected);
      expect((await as(ctx, p)('GET', '/availability')).json()).toEqual(expected);
    });

    it('replaces both lists on every PUT', async () => {
      const p = await signUpPractitioner(ctx);
      await as(ctx, p)('PUT', '/availability', { weekly: [{ weekday: 2, start: '09:00', end: '17:00' }], overrides: [{ date: '2026-05-01', intervals: [] }] });
      await as(ctx, p)('PUT', '/availability', { weekly: [{ weekday: 5, start: '10:00', end: '11:00' }], overrides: [] });
      expect((await as(ctx, p)('GET', '/availability')).json()).toEqual({ weekly: [{ weekday: 5, start: '10:00', end: '11:00' }], overrides: [] });
    });

    const day = (start: string, end: string, weekday = 1) => ({ weekday, start, end });
    it.each([
      ['an overlap on one weekday', { weekly: [day('09:00', '12:00'), day('11:30', '14:00')], overrides: [] }, ['/weekly/1/start']],
      ['an interval inside another', { weekly: [day('08:00', '18:00'), day('10:00', '11:00'), day('17:00', '19:00')], overrides: [] }, ['/weekly/1/start', '/weekly/2/start']],
      ['a start equal to the end', { weekly: [day('09:00', '09:00')], overrides: [] }, ['/weekly/0/end']],
      ['a start after the end', { weekly: [day('10:00', '12:00', 2), day('17:00', '09:00', 2)], overrides: [] }, ['/weekly/1/end']],
      ['24:00 as a start', { weekly: [day('24:00', '24:00')], overrides: [] }, ['/weekly/0/start']],
      ['weekday 8', { weekly: [day('09:00', '10:00', 8)], overrides: [] }, ['/weekly/0/weekday']],
      ['weekday 0', { weekly: [day('09:00', '10:00', 0)], overrides: [] }, ['/weekly/0/weekday']],
      ['a wall time that is not HH:MM', { weekly: [day('9:00', '24:01')], overrides: [] }, ['/weekly/0/start', '/weekly/0/end']],
      ['a date overridden twice', { weekly: [], overrides: [{ date: '2026-06-01', intervals: [] }, { date: '2026-06-01', intervals: [] }] }, ['/overrides/1/date']],
      ['an impossible date', { weekly: [], overrides: [{ date: '2026-02-30', intervals: [] }] }, ['/overrides/0/date']],
      [
        'an overlap and a reversed interval inside an override',
        { weekly: [], overrides: [{ date: '2026-06-01', intervals: [{ start: '09:00', end: '12:00' }, { start: '11:00', end: '13:00' }, { start: '15:00', end: '14:00' }] }] },
        ['/overrides/0/intervals/1/start', '/overrides/0/intervals/2/end'],
      ],
    ])('refuses %s, naming the path', async (_label, body, paths) => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('PUT', '/availability', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('validation_failed');
      expect(errorPaths(res)).toEqual(paths);
      expect((await as(ctx, p)('GET', '/availability')).json()).toEqual({ weekly: [], overrides: [] });
    });

    it('allows intervals that touch, and the same hours on different weekdays', async () => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('PUT', '/availability', { weekly: [day('09:00', '12:00'), day('12:00', '13:00'), day('09:00', '12:00', 2)], overrides: [] });
      expect(res.statusCode).toBe(200);
    });
  });

  describe('packages', () => {
    it('creates a package with defaults: never expires, covers every service, active', async () => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('POST', '/packages', { name: 'Five sessions', credits: 5, price: usd(40000) });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ id: expect.any(String), name: 'Five sessions', credits: 5, price: usd(40000), validityDays: null, serviceIds: null, active: true });
      expect((await as(ctx, p)('GET', `/packages/${res.json().id}`)).json()).toEqual(res.json());
    });

    it('limits a package to services of the practice, naming each unknown id', async () => {
      const p = await signUpPractitioner(ctx);
      const service = (await as(ctx, p)('POST', '/services', { name: 'Massage', durationMinutes: 60 })).json();
      const unknown = await as(ctx, p)('POST', '/packages', { name: 'Ten', credits: 10, price: usd(1), serviceIds: [service.id, 'no-such-service'] });
      expect(unknown.statusCode).toBe(400);
      expect(errorPaths(unknown)).toEqual(['/serviceIds/1']);
      const first = await as(ctx, p)('POST', '/packages', { name: 'Ten', credits: 10, price: usd(1), serviceIds: ['nope'] });
      expect(errorPaths(first)).toEqual(['/serviceIds/0']);
      const created = await as(ctx, p)('POST', '/packages', { name: 'Ten', credits: 10, price: usd(1), serviceIds: [service.id], validityDays: 90 });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ serviceIds: [service.id], validityDays: 90 });
    });

    it('patches only what is sent; null makes it never expire and cover every service', async () => {
      const p = await signUpPractitioner(ctx);
      const service = (await as(ctx, p)('POST', '/services', { name: 'Massage', durationMinutes: 60 })).json();
      const pkg = (await as(ctx, p)('POST', '/packages', { name: 'Ten', credits: 10, price: usd(9000), serviceIds: [service.id], validityDays: 90 })).json();
      const renamed = await as(ctx, p)('PATCH', `/packages/${pkg.id}`, { name: 'Ten sessions' });
      expect(renamed.json()).toEqual({ ...pkg, name: 'Ten sessions' });
      const cleared = await as(ctx, p)('PATCH', `/packages/${pkg.id}`, { validityDays: null, serviceIds: null, active: false });
      expect(cleared.json()).toEqual({ ...pkg, name: 'Ten sessions', validityDays: null, serviceIds: null, active: false });
      const unknown = await as(ctx, p)('PATCH', `/packages/${pkg.id}`, { serviceIds: ['nope'] });
      expect(errorPaths(unknown)).toEqual(['/serviceIds/0']);
      const euros = await as(ctx, p)('PATCH', `/packages/${pkg.id}`, { price: { amount: 1, currency: 'EUR' } });
      expect(errorPaths(euros)).toEqual(['/price/currency']);
      expect((await as(ctx, p)('GET', `/packages/${pkg.id}`)).json()).toEqual(cleared.json());
    });

    it.each([
      ['credits', 0],
      ['credits', PACKAGE_CREDITS_MAX + 1],
      ['validityDays', 0],
      ['validityDays', VALIDITY_DAYS_MAX + 1],
      ['price', { amount: -1, currency: 'USD' }],
      ['price', null],
      ['serviceIds', []],
    ])('refuses %s = %j', async (field, value) => {
      const p = await signUpPractitioner(ctx);
      const res = await as(ctx, p)('POST', '/packages', { name: 'Ten', credits: 10, price: usd(100), [field]: value });
      expect(res.statusCode).toBe(400);
      expect(errorPaths(res).every((path) => path.startsWith(`/${field}`))).toBe(true);
    });
  });

  describe('deleting a service', () => {
    it('deletes a service never booked (204), and drops it from packages that named it', async () => {
      const p = await signUpPractitioner(ctx);
      const kept = (await as(ctx, p)('POST', '/services', { name: 'Kept', durationMinutes: 30 })).json();
      const gone = (await as(ctx, p)('POST', '/services', { name: 'Gone', durationMinutes: 30 })).json();
      const pkg = (await as(ctx, p)('POST', '/packages', { name: 'Both', credits: 2, price: usd(100), serviceIds: [kept.id, gone.id] })).json();
      const res = await as(ctx, p)('DELETE', `/services/${gone.id}`);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      const again = await as(ctx, p)('GET', `/services/${gone.id}`);
      expect(again.statusCode).toBe(404);
      expect(again.json().code).toBe('not_found');
      expect((await as(ctx, p)('GET', '/services')).json().items.map((s: { id: string }) => s.id)).toEqual([kept.id]);
      expect((await as(ctx, p)('GET', `/packages/${pkg.id}`)).json().serviceIds).toEqual([kept.id]);
      expect((await as(ctx, p)('DELETE', `/services/${gone.id}`)).statusCode).toBe(404);
    });

    it('deactivates a booked service instead (200), keeping it listed', async () => {
      const p = await signUpPractitioner(ctx);
      const service = (await as(ctx, p)('POST', '/services', { name: 'Booked', durationMinutes: 60 })).json();
      await insertBooking(ctx, p.practice.id, service.id);
      const res = await as(ctx, p)('DELETE', `/services/${service.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ...service, active: false });
      expect((await as(ctx, p)('GET', `/services/${service.id}`)).json().active).toBe(false);
      expect((await as(ctx, p)('GET', '/services')).json().items).toEqual([{ ...service, active: false }]);
      expect((await as(ctx, p)('DELETE', `/services/${service.id}`)).statusCode).toBe(200);
    });
  });

  describe('collections', () => {
    it('walks every service with limit=2, in creation order, without repeats', async () => {
      const p = await signUpPractitioner(ctx);
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        // Some share a millisecond: the cursor must hold the id too.
        if (i % 2 === 0) ctx.clock.advance(1);
        created.push((await as(ctx, p)('POST', '/services', { name: `S${i}`, durationMinutes: 30, active: i !== 3 })).json().id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const res = await as(ctx, p)('GET', `/services?limit=2${query}`);
        expect(res.statusCode).toBe(200);
        expect(res.json().items.length).toBeLessThanOrEqual(2);
        seen.push(...res.json().items.map((s: { id: string }) => s.id));
        cursor = res.json().nextCursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(created);
      const all = await as(ctx, p)('GET', '/services');
      expect(all.json()).toMatchObject({ nextCursor: null });
      expect(all.json().items.map((s: { id: string }) => s.id)).toEqual(created);
    });

    it('pages packages the same way', async () => {
      const p = await signUpPractitioner(ctx);
      const created: string[] = [];
      for (let i = 0; i < 3; i++) created.push((await as(ctx, p)('POST', '/packages', { name: `P${i}`, credits: 1, price: usd(1) })).json().id);
      const first = (await as(ctx, p)('GET', '/packages?limit=2')).json();
      const second = (await as(ctx, p)('GET', `/packages?limit=2&cursor=${first.nextCursor}`)).json();
      expect([...first.items, ...second.items].map((x: { id: string }) => x.id)).toEqual(created);
      expect(second.nextCursor).toBeNull();
    });

    it.each([['garbage'], ['bm90IGpzb24'], [Buffer.from('[1,2]').toString('base64url')], [Buffer.from('{"a":1}').toString('base64url')]])(
      'refuses the cursor %s with 400',
      async (cursor) => {
        const p = await signUpPractitioner(ctx);
        for (const url of ['/services', '/packages']) {
          const res = await as(ctx, p)('GET', `${url}?cursor=${cursor}`);
          expect(res.statusCode).toBe(400);
          expect(res.json().code).toBe('validation_failed');
          expect(errorPaths(res)).toEqual(['querystring:/cursor']);
        }
      },
    );

    it('refuses a limit above 500 or below 1', async () => {
      const p = await signUpPractitioner(ctx);
      expect((await as(ctx, p)('GET', '/services?limit=501')).statusCode).toBe(400);
      expect((await as(ctx, p)('GET', '/services?limit=0')).statusCode).toBe(400);
      expect((await as(ctx, p)('GET', '/services?limit=500')).statusCode).toBe(200);
    });
  });
});

/** A booking row written directly: the booking use cases are not what is under test here. */
async function insertBooking(ctx: TestContext, practiceId: string, serviceId: string): Promise<void> {
  const now = ctx.clock.now().toISOString();
  const clientId = unique('client-');
  await ctx.db.kysely.insertInto('clients').values({ id: clientId, practice_id: practiceId, email: `${clientId}@example.com`, name: 'Casey', created_at: now }).execute();
  await ctx.db.kysely
    .insertInto('bookings')
    .values({
      id: unique('booking-'),
      practice_id: practiceId,
      client_id: clientId,
      service_id: serviceId,
      start_at: '2026-03-10T10:00:00.000Z',
      end_at: '2026-03-10T11:00:00.000Z',
      buffer_before_minutes: 0,
      buffer_after_minutes: 0,
      status: 'cancelled',
      payment_kind: 'free',
      credits: 0,
      sequence: 0,
      cancel_reason: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}
