import { afterEach, expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

// The clock stands at Monday 2026-03-02 08:00Z; the practice is open Mon–Fri 09:00–17:00 London.
describeEachDialect('the practical test', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('a client buys 5 sessions, books 3: both sides see 2 available and 3 held; the 6th booking is refused with the package offer; buying again lets it through', async () => {
    const { practitioner, service, pkg } = await setUpPractice(ctx);
    const slug = practitioner.practice.slug;
    const client = await signInClient(ctx, slug);
    const starts = await slotStarts(ctx, slug, service.id, '2026-03-03', '2026-03-06');

    const bought = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/purchases', headers: client.headers, payload: { packageId: pkg.id } });
    expect(bought.statusCode).toBe(201);
    expect(bought.json()).toMatchObject({ purchase: { status: 'paid', provider: 'dev', packageId: pkg.id, amount: { amount: 40000, currency: 'USD' } }, checkoutUrl: null });

    const book = (start: string) => ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start } });
    for (const [i, start] of starts.slice(0, 3).entries()) {
      const res = await book(start!);
      expect(res.statusCode).toBe(201);
      expect(res.json().booking).toMatchObject({ serviceId: service.id, start, status: 'confirmed', payment: { kind: 'credits', credits: 1 } });
      expect(res.json().credits).toEqual({ available: 4 - i, held: i + 1, used: 0, expired: 0 });
    }

    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/clients', headers: practitioner.headers });
    expect(list.json().items).toEqual([expect.objectContaining({ id: client.id, credits: { available: 2, held: 3, used: 0, expired: 0 } })]);
    const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers });
    expect(me.json().credits).toEqual({ available: 2, held: 3, used: 0, expired: 0 });
    expect(me.json().coverage).toEqual([{ serviceId: service.id, available: 2 }]);

    expect((await book(starts[3]!)).statusCode).toBe(201);
    expect((await book(starts[4]!)).statusCode).toBe(201);
    const sixth = await book(starts[5]!);
    expect(sixth.statusCode).toBe(402);
    expect(sixth.headers['content-type']).toContain('application/problem+json');
    expect(sixth.json()).toMatchObject({ code: 'credits_exhausted', status: 402, singleSessionPrice: null });
    expect(sixth.json().packages).toEqual([expect.objectContaining({ id: pkg.id, name: '5 sessions', credits: 5, price: { amount: 40000, currency: 'USD' }, validityDays: 180 })]);
    // Refused before any slot is taken.
    expect(await slotStarts(ctx, slug, service.id, '2026-03-03', '2026-03-06')).toContain(starts[5]);

    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/me/purchases', headers: client.headers, payload: { packageId: pkg.id } })).statusCode).toBe(201);
    const again = await book(starts[5]!);
    expect(again.statusCode).toBe(201);
    expect(again.json().credits).toEqual({ available: 4, held: 6, used: 0, expired: 0 });

    const detail = await ctx.app.inject({ method: 'GET', url: `/api/v1/clients/${client.id}`, headers: practitioner.headers });
    expect(detail.json().lots.map((l: { available: number; held: number }) => [l.available, l.held])).toEqual([[0, 5], [4, 1]]);
    expect(detail.json().purchases).toHaveLength(2);
    expect(detail.json().ledger[0]).toMatchObject({ kind: 'hold', amount: 1, actor: { kind: 'client', id: client.id } });
  });
});
