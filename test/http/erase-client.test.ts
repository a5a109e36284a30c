import { afterEach, expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

describeEachDialect('erasing a client', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('replaces name and email with a tombstone, ends their sessions and blanks their mail, keeping the ledger whole', async () => {
    const { practitioner, service, pkg } = await setUpPractice(ctx);
    const slug = practitioner.practice.slug;
    const client = await signInClient(ctx, slug, 'erase.me@example.com');
    await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: practitioner.headers, payload: { packageId: pkg.id, payment: 'manual' } });
    const [start] = await slotStarts(ctx, slug, service.id, '2026-03-03', '2026-03-03');
    const booked = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start } });
    const erase = () => ctx.app.inject({ method: 'DELETE', url: `/api/v1/clients/${client.id}`, headers: practitioner.headers });

    const refused = await erase();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toContain('upcoming sessions');
    await ctx.app.inject({ method: 'POST', url: `/api/v1/bookings/${booked.json().booking.id}/cancel`, headers: practitioner.headers, payload: {} });
    const before = (await ctx.app.inject({ method: 'GET', url: `/api/v1/clients/${client.id}`, headers: practitioner.headers })).json();

    const erased = await erase();
    expect(erased.statusCode).toBe(200);
    expect(erased.json()).toMatchObject({ id: client.id, name: 'Erased client', credits: before.credits });
    expect(erased.json().email).not.toContain('erase.me');

    const after = (await ctx.app.inject({ method: 'GET', url: `/api/v1/clients/${client.id}`, headers: practitioner.headers })).json();
    expect(after.ledger).toEqual(before.ledger);
    expect(after.lots).toEqual(before.lots);
    expect(after.bookings).toEqual(before.bookings);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers })).statusCode).toBe(401);
    const outbox = await ctx.app.inject({ method: 'GET', url: '/api/v1/dev/outbox?to=erase.me@example.com' });
    expect(outbox.json().items).toEqual([]);
    const search = await ctx.app.inject({ method: 'GET', url: '/api/v1/clients?q=erase.me', headers: practitioner.headers });
    expect(search.json().items).toEqual([]);
  });

  it('answers 404 for a client of another practice', async () => {
    const a = await setUpPractice(ctx);
    const b = await setUpPractice(ctx);
    const client = await signInClient(ctx, a.practitioner.practice.slug);
    const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/clients/${client.id}`, headers: b.practitioner.headers });
    expect(res.statusCode).toBe(404);
  });
});
