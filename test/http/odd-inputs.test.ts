import { expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';
import { setUpPractice, signInClient } from '../support/scenario.js';

describeEachDialect('odd but valid inputs (extreme limits, far dates, DST edges, foreign ids)', (ctx) => {
  it('never answers 5xx, whatever the valid input', async () => {
    const { practitioner, service, pkg } = await setUpPractice(ctx);
    const client = await signInClient(ctx, practitioner.practice.slug);
    const h = practitioner.headers;
    const calls: [string, string, unknown, Record<string, string>][] = [
      ['PUT', '/availability', { weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })), overrides: [{ date: '2099-12-31', intervals: [] }, { date: '2026-03-29', intervals: [{ start: '01:00', end: '02:30' }] }] }, h],
      ['POST', '/services', { name: 'x', durationMinutes: 5, slotStepMinutes: 5, capacity: 1000, maxAdvanceDays: 730, minNoticeMinutes: 43200, bufferBeforeMinutes: 720, bufferAfterMinutes: 720, creditCost: 1000, price: { amount: 100000000, currency: 'USD' } }, h],
      ['GET', `/public/${practitioner.practice.slug}/services/${service.id}/slots?from=2026-01-01&to=2026-03-03`, undefined, {}],
      ['GET', `/public/${practitioner.practice.slug}/services/${service.id}/slots?from=9999-12-01&to=9999-12-31`, undefined, {}],
      ['GET', `/public/${practitioner.practice.slug}/services/${service.id}/slots?from=0001-01-01&to=0001-01-31`, undefined, {}],
      ['POST', '/me/bookings', { serviceId: service.id, start: '9999-12-31T23:00:00Z' }, client.headers],
      ['POST', '/me/bookings', { serviceId: service.id, start: '0001-01-01T00:00:00Z' }, client.headers],
      ['POST', '/me/bookings', { serviceId: service.id, start: '2026-03-29T01:30:00+00:00' }, client.headers],
      ['GET', '/bookings?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z', undefined, h],
      ['POST', `/clients/${client.id}/grants`, { credits: 1000, validityDays: 3660, reason: 'x' }, h],
      ['POST', `/clients/${client.id}/grants`, { credits: 1, serviceIds: [], reason: 'x' }, h],
      ['POST', `/clients/${client.id}/grants`, { packageId: pkg.id }, h],
      ['PATCH', '/practice', { timeZone: 'Pacific/Kiritimati', policy: { windowHours: 720 } }, h],
      ['GET', `/public/${practitioner.practice.slug}/services/${service.id}/slots?from=2026-03-01&to=2026-05-01`, undefined, {}],
      ['POST', '/me/purchases', { packageId: pkg.id }, client.headers],
      ['GET', '/me', undefined, client.headers],
      ['GET', '/clients?q=%25_%5C', undefined, h],
      ['GET', '/clients?cursor=bogus', undefined, h],
      ['GET', '/me/bookings?cursor=bzoxMDAwMDAwMDAw', undefined, client.headers],
      ['POST', '/me/bookings/nope/cancel', {}, client.headers],
      ['GET', '/me/bookings/nope/cancellation', undefined, client.headers],
      ['POST', '/bookings/nope/waive', { reason: 'x' }, h],
      ['POST', '/fees/nope/paid', {}, h],
      ['DELETE', '/clients/nope', undefined, h],
      ['POST', '/external-calendars', { url: 'http://127.0.0.1:1/x.ics' }, h],
      ['POST', '/external-calendars', { url: 'not a url' }, h],
      ['GET', '/calendar-feed/nope.ics', undefined, {}],
    ];
    for (const [method, url, payload, headers] of calls) {
      const res = await ctx.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers, ...(payload ? { payload: payload as object } : {}) });
      expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
    }
  });
});
