import { afterEach, describe, expect, it } from 'vitest';
import { confirmPurchase } from '../../src/app/purchases.js';
import { startSession } from '../../src/app/sessions.js';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts, type PracticeSetup } from '../support/scenario.js';

const grant = (ctx: TestContext, setup: PracticeSetup, clientId: string, payload: object) =>
  ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${clientId}/grants`, headers: setup.practitioner.headers, payload });

describeEachDialect('credits', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('records a package sold outside as a manual purchase that grants one lot', async () => {
    const setup = await setUpPractice(ctx);
    const client = await signInClient(ctx, setup.practitioner.practice.slug);
    const res = await grant(ctx, setup, client.id, { packageId: setup.pkg.id, payment: 'manual' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ packageId: setup.pkg.id, packageName: '5 sessions', granted: 5, available: 5, held: 0, used: 0, expired: 0 });
    expect(res.json().expiresAt).toBe('2026-08-29T22:59:59.999Z'); // end of the London day 180 days after 2 March
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/v1/clients/${client.id}`, headers: setup.practitioner.headers })).json();
    expect(detail.purchases).toEqual([expect.objectContaining({ provider: 'manual', status: 'paid', packageId: setup.pkg.id })]);
  });

  it('grants credits by hand with a reason, recorded in the ledger with the practitioner as actor', async () => {
    const setup = await setUpPractice(ctx);
    const client = await signInClient(ctx, setup.practitioner.practice.slug);
    const res = await grant(ctx, setup, client.id, { credits: 3, validityDays: 30, reason: 'carried over from the old spreadsheet' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ packageId: null, granted: 3, available: 3 });
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/v1/clients/${client.id}`, headers: setup.practitioner.headers })).json();
    expect(detail.ledger).toEqual([
      expect.objectContaining({ kind: 'grant', amount: 3, reason: 'carried over from the old spreadsheet', actor: { kind: 'practitioner', id: setup.practitioner.user.id } }),
    ]);
    expect((await grant(ctx, setup, client.id, { credits: 3, serviceIds: ['nope'], reason: 'x' })).statusCode).toBe(400);
    expect((await grant(ctx, setup, client.id, { credits: 0, reason: 'x' })).statusCode).toBe(400);
    expect((await grant(ctx, setup, client.id, { credits: 3 })).statusCode).toBe(400);
  });

  it('adjusts a lot up or down with a reason, but never below what is available (409)', async () => {
    const setup = await setUpPractice(ctx);
    const client = await signInClient(ctx, setup.practitioner.practice.slug);
    const lot = (await grant(ctx, setup, client.id, { credits: 2, reason: 'start' })).json();
    const adjust = (amount: number) =>
      ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/adjustments`, headers: setup.practitioner.headers, payload: { lotId: lot.id, amount, reason: 'correction' } });
    const up = await adjust(1);
    expect(up.statusCode).toBe(201);
    expect(up.json()).toMatchObject({ kind: 'adjust', amount: 1, lotId: lot.id, reason: 'correction', actor: { kind: 'practitioner' } });
    expect((await adjust(-4)).statusCode).toBe(409);
    expect((await adjust(-3)).statusCode).toBe(201);
    expect((await adjust(0)).statusCode).toBe(400);
    const me = (await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers })).json();
    expect(me.credits).toEqual({ available: 0, held: 0, used: 0, expired: 0 });
    expect(me.lots[0]).toMatchObject({ granted: 0, available: 0 });
  });

  it('pays from the lot that expires first, and lets a 2-credit service draw from two lots', async () => {
    const setup = await setUpPractice(ctx, { service: { name: 'Double session', durationMinutes: 120, creditCost: 2 } });
    const slug = setup.practitioner.practice.slug;
    const client = await signInClient(ctx, slug);
    const late = (await grant(ctx, setup, client.id, { credits: 1, reason: 'never expires' })).json();
    const soon = (await grant(ctx, setup, client.id, { credits: 1, validityDays: 10, reason: 'expires soon' })).json();
    const [start] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
    const booked = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: setup.service.id, start } });
    expect(booked.statusCode).toBe(201);
    expect(booked.json().booking.payment).toEqual({ kind: 'credits', credits: 2 });
    const lots = (await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers })).json().lots;
    expect(lots.find((l: { id: string }) => l.id === soon.id)).toMatchObject({ held: 1, available: 0 });
    expect(lots.find((l: { id: string }) => l.id === late.id)).toMatchObject({ held: 1, available: 0 });
  });

  it('does not pay with a lot that expires before the session, and says what would cover it in the 402', async () => {
    const setup = await setUpPractice(ctx, { service: { name: 'Coaching', durationMinutes: 60, price: { amount: 9000, currency: 'USD' } } });
    const slug = setup.practitioner.practice.slug;
    const client = await signInClient(ctx, slug);
    await grant(ctx, setup, client.id, { credits: 1, validityDays: 1, reason: 'short' });
    const [later] = await slotStarts(ctx, slug, setup.service.id, '2026-03-05', '2026-03-05');
    const refused = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: setup.service.id, start: later } });
    expect(refused.statusCode).toBe(402);
    expect(refused.json().singleSessionPrice).toEqual({ amount: 9000, currency: 'USD' });
    expect(refused.json().packages.map((p: { id: string }) => p.id)).toEqual([setup.pkg.id]);
    const me = (await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers })).json();
    expect(me.coverage).toEqual([{ serviceId: setup.service.id, available: 1 }]);
  });

  it('books a priced service paid alone, at its price, without touching credits', async () => {
    const setup = await setUpPractice(ctx, { service: { name: 'Coaching', durationMinutes: 60, price: { amount: 9000, currency: 'USD' } } });
    const slug = setup.practitioner.practice.slug;
    const client = await signInClient(ctx, slug);
    const [start, other] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: setup.service.id, start, payment: 'single' } });
    expect(res.statusCode).toBe(201);
    expect(res.json().booking).toMatchObject({ status: 'confirmed', payment: { kind: 'single', credits: 0 } });
    expect(res.json().credits).toEqual({ available: 0, held: 0, used: 0, expired: 0 });
    const unpriced = await ctx.app.inject({ method: 'POST', url: '/api/v1/services', headers: setup.practitioner.headers, payload: { name: 'Credits only', durationMinutes: 60 } });
    const refused = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: unpriced.json().id, start: other, payment: 'single' } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('conflict');
    const cancelled = await ctx.app.inject({ method: 'POST', url: `/api/v1/me/bookings/${res.json().booking.id}/cancel`, headers: client.headers, payload: {} });
    expect(cancelled.json().outcome).toMatchObject({ outcome: 'none', credits: 0 });
  });

  it('keeps a service-restricted lot for its services and offers only packages that cover the service', async () => {
    const setup = await setUpPractice(ctx);
    const slug = setup.practitioner.practice.slug;
    const other = (await ctx.app.inject({ method: 'POST', url: '/api/v1/services', headers: setup.practitioner.headers, payload: { name: 'Assessment', durationMinutes: 30 } })).json();
    const onlyOther = (await ctx.app.inject({ method: 'POST', url: '/api/v1/packages', headers: setup.practitioner.headers, payload: { name: 'Assessments', credits: 2, price: { amount: 5000, currency: 'USD' }, serviceIds: [other.id] } })).json();
    const client = await signInClient(ctx, slug);
    await grant(ctx, setup, client.id, { credits: 2, serviceIds: [other.id], reason: 'assessments only' });
    const me = (await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers })).json();
    expect(me.coverage).toEqual(expect.arrayContaining([{ serviceId: setup.service.id, available: 0 }, { serviceId: other.id, available: 2 }]));
    const [start] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
    const refused = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: setup.service.id, start } });
    expect(refused.statusCode).toBe(402);
    expect(refused.json().packages.map((p: { id: string }) => p.id)).toEqual([setup.pkg.id]);
    expect(refused.json().packages.map((p: { id: string }) => p.id)).not.toContain(onlyOther.id);
  });

  it('buys once per Idempotency-Key: a repeated purchase answers the first and grants no second lot', async () => {
    const setup = await setUpPractice(ctx);
    const client = await signInClient(ctx, setup.practitioner.practice.slug);
    const buy = () => ctx.app.inject({ method: 'POST', url: '/api/v1/me/purchases', headers: { ...client.headers, 'idempotency-key': 'buy-once' }, payload: { packageId: setup.pkg.id } });
    const [first, second] = await Promise.all([buy(), buy()]);
    expect(first.statusCode).toBe(201);
    expect(second.json()).toEqual(first.json());
    expect((await buy()).json()).toEqual(first.json());
    const me = (await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers })).json();
    expect(me.lots).toHaveLength(1);
    expect(me.credits.available).toBe(5);
  });

  it('grants exactly one lot per confirmed payment, however often it is confirmed', async () => {
    const setup = await setUpPractice(ctx);
    const client = await signInClient(ctx, setup.practitioner.practice.slug);
    const bought = (await ctx.app.inject({ method: 'POST', url: '/api/v1/me/purchases', headers: client.headers, payload: { packageId: setup.pkg.id } })).json();
    const again = await ctx.db.write((trx) => confirmPurchase(trx, bought.purchase.id, `dev_${bought.purchase.id}`, { kind: 'system', id: null }, ctx.clock.now()));
    const lots = await ctx.db.kysely.selectFrom('lots').selectAll().where('purchase_id', '=', bought.purchase.id).execute();
    expect(lots).toHaveLength(1);
    expect(again.id).toBe(lots[0]!.id);
    const purchase = await ctx.app.inject({ method: 'GET', url: `/api/v1/me/purchases/${bought.purchase.id}`, headers: client.headers });
    expect(purchase.json()).toMatchObject({ status: 'paid', provider: 'dev' });
  });
});

describe('purchases without a payment provider', () => {
  describeEachDialect(
    'in production',
    (ctx) => {
      it('refuses the dev provider in production: a purchase is 409 payments_not_configured and writes nothing', async () => {
        const setup = await setUpPractice(ctx);
        // No dev outbox in production to read a sign-in code from: start the client's session directly.
        const client = (await ctx.app.inject({ method: 'POST', url: '/api/v1/clients', headers: setup.practitioner.headers, payload: { email: 'prod@example.com', name: 'Prod' } })).json();
        const token = await ctx.db.write((trx) => startSession(trx, { kind: 'client', practiceId: setup.practitioner.practice.id, clientId: client.id }, ctx.clock.now()));
        const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/purchases', headers: { authorization: `Bearer ${token}` }, payload: { packageId: setup.pkg.id } });
        expect(res.statusCode).toBe(409);
        expect(res.json().code).toBe('payments_not_configured');
        expect(await ctx.db.kysely.selectFrom('purchases').selectAll().execute()).toEqual([]);
        expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' })).statusCode).toBe(404);
      });
    },
    { config: { production: true, devTools: false } },
  );
});
