import { afterEach, expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';
import { HOUR, MINUTE } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

describeEachDialect('recurring sweeps never die', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('keeps retrying a sweep that throws 20 times in a row, reports it on /healthz, and completes the ended sessions once it recovers', async () => {
    const setup = await setUpPractice(ctx);
    const slug = setup.practitioner.practice.slug;
    const client = await signInClient(ctx, slug);
    const granted = await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: setup.practitioner.headers, payload: { credits: 1, reason: 'test' } });
    expect(granted.statusCode).toBe(201);
    const [start] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
    const booked = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: setup.service.id, start } });
    expect(booked.statusCode).toBe(201);
    const bookingId = booked.json().booking.id as string;

    const healthy = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(healthy.json()).toMatchObject({ status: 'ok', jobs: { failingSweeps: [], failedJobs: 0 } });

    // A real fault inside the sweep: the cutoff computation throws (RangeError: Invalid time value).
    const completeAfterMinutes = ctx.config.completeAfterMinutes;
    ctx.config.completeAfterMinutes = Number.NaN;
    ctx.clock.set(new Date(Date.parse(start!) + 3 * HOUR));
    for (let i = 0; i < 20; i++) {
      await ctx.app.jobs.tick();
      ctx.clock.advance(10 * MINUTE);
    }
    const sweep = await ctx.db.kysely.selectFrom('jobs').selectAll().where('dedupe_key', '=', 'recurring:complete-sessions').executeTakeFirstOrThrow();
    expect(sweep).toMatchObject({ status: 'pending', consecutive_failures: 20 });
    expect(sweep.last_error).toMatch(/Invalid time value/);
    const degraded = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(degraded.statusCode).toBe(200);
    expect(degraded.json()).toMatchObject({ status: 'degraded', jobs: { failingSweeps: [{ kind: 'complete-sessions', consecutiveFailures: 20 }] } });

    ctx.config.completeAfterMinutes = completeAfterMinutes;
    ctx.clock.advance(10 * MINUTE);
    await ctx.app.jobs.tick();
    const bookings = await ctx.app.inject({ method: 'GET', url: '/api/v1/me/bookings', headers: client.headers });
    expect(bookings.json().items.find((b: { id: string }) => b.id === bookingId)).toMatchObject({ status: 'completed' });
    const recovered = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(recovered.json()).toMatchObject({ status: 'ok', jobs: { failingSweeps: [] } });
  });
});
