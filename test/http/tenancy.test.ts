import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { signUpPractitioner, type Practitioner } from '../support/api.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Send = (method: Method, url: string, payload?: object) => Promise<LightMyRequestResponse>;

function sender(ctx: TestContext, headers: Record<string, string>): Send {
  return (method, url, payload) => ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
}

const usd = (amount: number) => ({ amount, currency: 'USD' });
const ids = (res: { json(): { items: { id: string }[] } }) => res.json().items.map((item) => item.id);

/** What practitioner A owns: B must never see or touch any of it. */
async function catalogOf(ctx: TestContext, p: Practitioner) {
  const send = sender(ctx, p.headers);
  await send('PATCH', '/practice', { policy: { windowHours: 72 } });
  const service = (await send('POST', '/services', { name: 'A’s massage', durationMinutes: 60, price: usd(9000) })).json();
  const pkg = (await send('POST', '/packages', { name: 'A’s five', credits: 5, price: usd(40000), serviceIds: [service.id] })).json();
  await send('PUT', '/availability', { weekly: [{ weekday: 1, start: '09:00', end: '17:00' }], overrides: [{ date: '2026-04-01', intervals: [] }] });
  return { service, pkg };
}

describeEachDialect('tenancy of the catalog', (ctx) => {
  describe.each(['cookie', 'bearer token'] as const)('practitioner B by %s', (via) => {
    async function setUp() {
      const a = await signUpPractitioner(ctx);
      const b = await signUpPractitioner(ctx);
      let headers = b.headers;
      if (via === 'bearer token') {
        const token = await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: b.headers, payload: { name: 'script' } });
        headers = { authorization: `Bearer ${token.json().token}` };
      }
      return { a, b, asA: sender(ctx, a.headers), asB: sender(ctx, headers), ...(await catalogOf(ctx, a)) };
    }

    it('cannot read, change or delete A’s services and packages: 404 not_found, and nothing changes', async () => {
      const { asA, asB, service, pkg } = await setUp();
      const attempts: [Method, string, object?][] = [
        ['GET', `/services/${service.id}`],
        ['PATCH', `/services/${service.id}`, { name: 'Hijacked' }],
        ['DELETE', `/services/${service.id}`],
        ['GET', `/packages/${pkg.id}`],
        ['PATCH', `/packages/${pkg.id}`, { name: 'Hijacked', price: usd(1) }],
      ];
      for (const [method, url, payload] of attempts) {
        const res = await asB(method, url, payload);
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.json().code, `${method} ${url}`).toBe('not_found');
      }
      expect((await asA('GET', `/services/${service.id}`)).json()).toEqual(service);
      expect((await asA('GET', `/packages/${pkg.id}`)).json()).toEqual(pkg);
    });

    it('never sees A’s items in its own lists', async () => {
      const { asB } = await setUp();
      const own = (await asB('POST', '/services', { name: 'B’s yoga', durationMinutes: 30 })).json();
      const ownPackage = (await asB('POST', '/packages', { name: 'B’s ten', credits: 10, price: usd(100) })).json();
      expect(ids(await asB('GET', '/services'))).toEqual([own.id]);
      expect(ids(await asB('GET', '/packages'))).toEqual([ownPackage.id]);
      expect(ids(await asB('GET', '/services?limit=1'))).toEqual([own.id]);
    });

    it('cannot name A’s service in a package', async () => {
      const { asB, service } = await setUp();
      const res = await asB('POST', '/packages', { name: 'Sneaky', credits: 1, price: usd(1), serviceIds: [service.id] });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ path: '/serviceIds/0', message: expect.any(String) }]);
    });

    it('sees and changes only its own practice and availability', async () => {
      const { a, b, asA, asB } = await setUp();
      const practice = await asB('GET', '/practice');
      expect(practice.json()).toMatchObject({ id: b.practice.id, slug: b.practice.slug, policy: { windowHours: 24 } });
      expect((await asB('GET', '/availability')).json()).toEqual({ weekly: [], overrides: [] });

      await asB('PATCH', '/practice', { name: 'B’s place', policy: { windowHours: 2 } });
      await asB('PUT', '/availability', { weekly: [{ weekday: 7, start: '10:00', end: '12:00' }], overrides: [] });
      expect((await asA('GET', '/practice')).json()).toMatchObject({ id: a.practice.id, name: 'Dana Coaching', policy: { windowHours: 72 } });
      expect((await asA('GET', '/availability')).json()).toEqual({
        weekly: [{ weekday: 1, start: '09:00', end: '17:00' }],
        overrides: [{ date: '2026-04-01', intervals: [] }],
      });
      expect((await asB('GET', '/availability')).json().weekly).toEqual([{ weekday: 7, start: '10:00', end: '12:00' }]);
    });
  });

  it('answers every catalog route with 401 to an anonymous caller', async () => {
    const a = await signUpPractitioner(ctx);
    const { service, pkg } = await catalogOf(ctx, a);
    const anonymous = sender(ctx, {});
    const routes: [Method, string, object?][] = [
      ['GET', '/practice'],
      ['PATCH', '/practice', { name: 'Mine now' }],
      ['GET', '/services'],
      ['POST', '/services', { name: 'Free-for-all', durationMinutes: 30 }],
      ['GET', `/services/${service.id}`],
      ['PATCH', `/services/${service.id}`, { name: 'Mine now' }],
      ['DELETE', `/services/${service.id}`],
      ['GET', '/availability'],
      ['PUT', '/availability', { weekly: [], overrides: [] }],
      ['GET', '/packages'],
      ['POST', '/packages', { name: 'Free', credits: 1, price: usd(0) }],
      ['GET', `/packages/${pkg.id}`],
      ['PATCH', `/packages/${pkg.id}`, { price: usd(0) }],
    ];
    for (const [method, url, payload] of routes) {
      const res = await anonymous(method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json().code, `${method} ${url}`).toBe('unauthenticated');
    }
    const bogus = sender(ctx, { authorization: 'Bearer tbp_not-a-token', cookie: 'tb_session=nope' });
    expect((await bogus('GET', '/services')).statusCode).toBe(401);
    expect((await sender(ctx, a.headers)('GET', `/services/${service.id}`)).json()).toEqual(service);
  });
});
