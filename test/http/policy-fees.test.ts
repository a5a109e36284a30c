import { afterEach, expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

describeEachDialect('a fee owed can block new bookings', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('refuses a client’s new booking while a late-cancel fee is owed, when the practice asks for it, until the fee is paid', async () => {
    const setup = await setUpPractice(ctx);
    const { practitioner, service } = setup;
    const slug = practitioner.practice.slug;
    const patch = await ctx.app.inject({
      method: 'PATCH',
      url: '/api/v1/practice',
      headers: practitioner.headers,
      payload: { policy: { lateCancel: 'fee', lateCancelFee: { amount: 4000, currency: 'USD' }, blockBookingWhileFeeOwed: true } },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json().policy.blockBookingWhileFeeOwed).toBe(true);
    const client = await signInClient(ctx, slug);
    await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: practitioner.headers, payload: { credits: 3, reason: 'test' } });
    const [first, second] = await slotStarts(ctx, slug, service.id, '2026-03-02', '2026-03-02');
    const booked = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start: first } });
    const cancelled = await ctx.app.inject({ method: 'POST', url: `/api/v1/me/bookings/${booked.json().booking.id}/cancel`, headers: client.headers, payload: {} });
    expect(cancelled.json().outcome).toMatchObject({ outcome: 'fee', fee: { amount: 4000, currency: 'USD' } });

    const refused = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start: second } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'conflict', feesOwed: [{ amount: 4000, currency: 'USD' }] });
    expect(refused.json().detail).toContain('$40.00');
    // The practitioner can still book for them.
    const onBehalf = await ctx.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: practitioner.headers, payload: { clientId: client.id, serviceId: service.id, start: second } });
    expect(onBehalf.statusCode).toBe(201);

    const fee = (await ctx.app.inject({ method: 'GET', url: '/api/v1/fees', headers: practitioner.headers })).json().items[0];
    // GET /fees is a collection like every other: pages of ?limit= with a cursor.
    const firstPage = (await ctx.app.inject({ method: 'GET', url: '/api/v1/fees?limit=1', headers: practitioner.headers })).json();
    expect(firstPage).toEqual({ items: [fee], nextCursor: null });
    const badCursor = await ctx.app.inject({ method: 'GET', url: '/api/v1/fees?cursor=nope', headers: practitioner.headers });
    expect(badCursor.statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'POST', url: `/api/v1/fees/${fee.id}/paid`, headers: practitioner.headers })).statusCode).toBe(200);
    const [later] = await slotStarts(ctx, slug, service.id, '2026-03-03', '2026-03-03');
    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start: later } })).statusCode).toBe(201);
  });

  it('lets a client with a fee owed book when the practice does not block (the default)', async () => {
    const { practitioner } = await setUpPractice(ctx);
    const practice = await ctx.app.inject({ method: 'GET', url: '/api/v1/practice', headers: practitioner.headers });
    expect(practice.json().policy.blockBookingWhileFeeOwed).toBe(false);
  });
});
