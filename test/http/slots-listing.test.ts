import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fastJson from 'fast-json-stringify';
import { Type } from 'typebox';
import { slotsJson } from '../../src/http/routes/public/public.js';
import { describeEachDialect } from '../support/app.js';
import { setUpPractice, signInClient } from '../support/scenario.js';

/** From the test start (Monday 08:00Z) to the next Monday 10:30Z. */
const LATER_MS = (7 * 24 + 2.5) * 3_600_000;

describeEachDialect('slot listings carry an ETag and answer 304 while nothing changed', (ctx) => {
  it('answers 304 to its own ETag, 200 with a new one once a booking takes a slot, and a different tag for another range', async () => {
    const { practitioner, service } = await setUpPractice(ctx);
    const slug = practitioner.practice.slug;
    const url = (from: string, to: string) => `/api/v1/public/${slug}/services/${service.id}/slots?from=${from}&to=${to}`;
    const list = (ifNoneMatch?: string, range: [string, string] = ['2026-03-02', '2026-03-06']) =>
      ctx.app.inject({ method: 'GET', url: url(...range), headers: ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {} });

    const first = await list();
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(first.headers['cache-control']).toBe('no-cache');
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');

    const again = await list(etag);
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // Nothing a client could wait on: no length of a body that never comes, no type.
    expect(again.headers['content-length'] ?? '0').toBe('0');
    expect(again.headers['content-type']).toBeUndefined();
    expect(again.headers.etag).toBe(etag);
    // A weak form of the tag, a list naming it and a wildcard match too; another tag does not.
    expect((await list(`W/${etag}`)).statusCode).toBe(304);
    expect((await list(`"stale", ${etag}`)).statusCode).toBe(304);
    expect((await list('*')).statusCode).toBe(304);
    expect((await list('"stale"')).statusCode).toBe(200);
    expect((await list(undefined, ['2026-03-02', '2026-03-05'])).headers.etag).not.toBe(etag);

    const client = await signInClient(ctx, slug);
    await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: practitioner.headers, payload: { credits: 1, reason: 'test' } });
    const booked = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start: '2026-03-03T10:00:00.000Z' } });
    expect(booked.statusCode).toBe(201);

    const changed = await list(etag);
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.json().slots.map((s: { start: string }) => s.start)).not.toContain('2026-03-03T10:00:00.000Z');
    expect(first.json().slots.length - changed.json().slots.length).toBe(1);
  });

  it('moves the ETag as time passes a slot (the listing depends on now)', async () => {
    const { practitioner, service } = await setUpPractice(ctx);
    const url = `/api/v1/public/${practitioner.practice.slug}/services/${service.id}/slots?from=2026-03-09&to=2026-03-09`;
    const before = await ctx.app.inject({ method: 'GET', url });
    ctx.clock.advance(LATER_MS); // that Monday's 09:00 and 10:00 London are past then
    try {
      const after = await ctx.app.inject({ method: 'GET', url, headers: { 'if-none-match': before.headers.etag as string } });
      expect(after.statusCode).toBe(200);
      expect(after.json().slots.length).toBeLessThan(before.json().slots.length);
    } finally {
      ctx.clock.advance(-LATER_MS);
    }
  });
});

describe('the slot listing body', () => {
  it('is exactly what the route schema’s serialiser writes, for any slots and zone', () => {
    const schema = Type.Object({ timeZone: Type.String(), slots: Type.Array(Type.Object({ start: Type.String(), end: Type.String(), remaining: Type.Integer() })) });
    const serialise = fastJson(schema as object);
    const slot = fc.record({ start: fc.integer({ min: 0, max: 4e12 }), length: fc.integer({ min: 1, max: 1e8 }), remaining: fc.integer({ min: 1, max: 500 }) })
      .map(({ start, length, remaining }) => ({ start, end: start + length, remaining, bufferBeforeMinutes: 0, bufferAfterMinutes: 0 }));
    fc.assert(fc.property(fc.oneof(fc.constantFrom('Europe/London', 'America/Argentina/Buenos_Aires'), fc.string()), fc.array(slot, { maxLength: 50 }), (timeZone, slots) => {
      const expected = serialise({ timeZone, slots: slots.map((s) => ({ start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString(), remaining: s.remaining })) });
      expect(slotsJson(timeZone, slots)).toBe(expected);
    }), { numRuns: 300 });
  });
});
