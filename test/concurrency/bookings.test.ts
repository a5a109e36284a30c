import { afterEach, expect, it } from 'vitest';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts, type PracticeSetup } from '../support/scenario.js';

async function grant(ctx: TestContext, setup: PracticeSetup, clientId: string, credits: number) {
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${clientId}/grants`, headers: setup.practitioner.headers, payload: { credits, reason: 'test credits' } });
  expect(res.statusCode).toBe(201);
}

/*
 * Concurrent requests inside one process. On PostgreSQL the app's pool runs their transactions on
 * separate connections at the same time, so only the row locks (the client's, then the calendar's)
 * keep a seat or a credit from being sold twice: take a lock away and these tests fail.
 *
 * On SQLite they cannot fail for that reason: one process has one connection, and Kysely's mutex
 * runs one transaction after the other, so the "concurrent" requests arrive in sequence even
 * without `BEGIN IMMEDIATE` or any lock. There they check only that the refusals are the right
 * ones (409, 402, 422); the titles say so. SQLite's locking across writers is tested with two
 * server processes on one file in two-processes.test.ts.
 */
describeEachDialect(
  'bookings under contention',
  (ctx) => {
    afterEach(() => expectInvariants(ctx));
    const pooled = ctx.dialect === 'postgres';
    /** The test's claim: a race on PostgreSQL, a sequence on SQLite. */
    const title = (race: string, sequence: string) => (pooled ? race : `${sequence} (SQLite, one connection: the requests are serialized, so this checks the refusals, not the locks)`);

    it(title('never puts two bookings in one seat: 20 clients race for one slot on separate connections, exactly one wins', 'refuses 19 of 20 clients asking for one seat at once with 409 slot_unavailable'), async () => {
      const setup = await setUpPractice(ctx);
      const slug = setup.practitioner.practice.slug;
      const clients = [];
      for (let i = 0; i < 20; i++) {
        const client = await signInClient(ctx, slug);
        await grant(ctx, setup, client.id, 1);
        clients.push(client);
      }
      const [start] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
      const results = await Promise.all(
        clients.map((c) => ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: c.headers, payload: { serviceId: setup.service.id, start } })),
      );
      const statuses = results.map((r) => r.statusCode).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
      for (const r of results.filter((r) => r.statusCode === 409)) expect(r.json().code).toBe('slot_unavailable');
    });

    it(title('never spends a credit twice: a client with 1 credit fires 20 bookings for 20 slots at once on separate connections, one is booked and nineteen are refused with 402', 'books one of 20 slots asked for at once with 1 credit and refuses the other 19 with 402'), async () => {
      const setup = await setUpPractice(ctx);
      const slug = setup.practitioner.practice.slug;
      const client = await signInClient(ctx, slug);
      await grant(ctx, setup, client.id, 1);
      const starts = (await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-06')).slice(0, 20);
      expect(starts).toHaveLength(20);
      const results = await Promise.all(
        starts.map((start) => ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: setup.service.id, start } })),
      );
      const statuses = results.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 402)).toHaveLength(19);
      const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers });
      expect(me.json().credits).toEqual({ available: 0, held: 1, used: 0, expired: 0 });
    });

    it(title('answers a repeated Idempotency-Key with the first result and books once, even when the repeats race on separate connections', 'answers a repeated Idempotency-Key with the first result and books once'), async () => {
      const setup = await setUpPractice(ctx);
      const slug = setup.practitioner.practice.slug;
      const client = await signInClient(ctx, slug);
      await grant(ctx, setup, client.id, 3);
      const [start, other] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
      const send = (key: string, at = start) =>
        ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: { ...client.headers, 'idempotency-key': key }, payload: { serviceId: setup.service.id, start: at } });
      const racing = await Promise.all(Array.from({ length: 5 }, () => send('key-1')));
      expect(racing.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
      expect(new Set(racing.map((r) => r.json().booking.id)).size).toBe(1);
      const replay = await send('key-1');
      expect(replay.json()).toEqual(racing[0]!.json());
      const reused = await send('key-1', other);
      expect(reused.statusCode).toBe(422);
      expect(reused.json().code).toBe('idempotency_key_reused');
      const bookings = await ctx.app.inject({ method: 'GET', url: '/api/v1/me/bookings', headers: client.headers });
      expect(bookings.json().items).toHaveLength(1);
      // A refused request is remembered too: the repeat answers the same 409 even if the slot frees up.
      const taken = await send('key-2');
      expect(taken.statusCode).toBe(409);
      expect((await send('key-2')).json()).toEqual(taken.json());
    });
  },
  { config: { rateLimitIpPerMin: 1000 } },
);
