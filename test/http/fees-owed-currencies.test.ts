import { afterEach, expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';
import { as, expectOk } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

/*
 * The fee block never adds amounts of different currencies (review S9): `feesOwed` lists one total
 * per currency. Fees take the practice's currency when they are recorded, and the currency can no
 * longer change once money exists, so no API path records fees in two currencies any more; a
 * practice that changed its currency before that rule has them, and the fixture below makes one
 * by relabelling a fee row in the database as recorded in EUR.
 */

describeEachDialect('fees owed in two currencies', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('refuses the booking with one total per currency, never a sum across currencies', async () => {
    const { practitioner: p, service } = await setUpPractice(ctx);
    const practitioner = as(ctx, p.headers);
    const slug = p.practice.slug;
    expectOk(await practitioner('PATCH', '/practice', { policy: { lateCancel: 'fee', lateCancelFee: { amount: 2500, currency: 'USD' }, blockBookingWhileFeeOwed: true } }));
    const signedIn = await signInClient(ctx, slug);
    const client = as(ctx, signedIn.headers);
    expectOk(await practitioner('POST', `/clients/${signedIn.id}/grants`, { credits: 5, reason: 'test' }), 201);

    // Sessions today are inside the 24 h window: each cancel by the client owes the late-cancel fee.
    const starts = await slotStarts(ctx, slug, service.id, '2026-03-02', '2026-03-02');
    const lateCancel = async (start: string) => {
      const booked = await practitioner('POST', '/bookings', { clientId: signedIn.id, serviceId: service.id, start });
      expectOk(booked, 201);
      const cancelled = await client('POST', `/me/bookings/${booked.json().booking.id}/cancel`, {});
      expectOk(cancelled);
      expect(cancelled.json().outcome.outcome).toBe('fee');
      return booked.json().booking.id as string;
    };
    const first = await lateCancel(starts[0]!);
    await ctx.db.kysely.updateTable('fees').set({ currency: 'EUR' }).where('booking_id', '=', first).execute();
    expectOk(await practitioner('PATCH', '/practice', { policy: { lateCancelFee: { amount: 4000, currency: 'USD' } } }));
    await lateCancel(starts[1]!);
    await lateCancel(starts[2]!);

    const refused = await client('POST', '/me/bookings', { serviceId: service.id, start: starts[3] });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({
      code: 'conflict',
      feesOwed: [
        { amount: 2500, currency: 'EUR' },
        { amount: 8000, currency: 'USD' },
      ],
    });
    expect(refused.json().detail).toBe('fees of €25.00 and $80.00 are owed; once they are paid or waived you can book again');

    const eur = (await practitioner('GET', '/fees')).json().items.find((f: { bookingId: string }) => f.bookingId === first);
    expectOk(await practitioner('POST', `/fees/${eur.id}/paid`));
    const still = await client('POST', '/me/bookings', { serviceId: service.id, start: starts[3] });
    expect(still.statusCode, still.body).toBe(409);
    expect(still.json().feesOwed).toEqual([{ amount: 8000, currency: 'USD' }]);
    expect(still.json().detail).toBe('fees of $80.00 are owed; once they are paid or waived you can book again');
  });
});
