import { expect, it } from 'vitest';
import { findViolations } from '../../src/db/verify.js';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { setUpPractice, signInClient, slotStarts, type PracticeSetup, type SignedInClient } from '../support/scenario.js';

const CLIENTS = 10;
const BOOKINGS_PER_CLIENT = 4;
/** Verifiers running side by side, each one run after the other, for as long as the writers write. */
const VERIFIERS = 3;
const VERIFY_RUNS_MIN = 15;

async function grant(ctx: TestContext, setup: PracticeSetup, clientId: string, credits: number) {
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${clientId}/grants`, headers: setup.practitioner.headers, payload: { credits, reason: 'test credits' } });
  expect(res.statusCode).toBe(201);
}

/** One client's story, run concurrently with the others: buy a package, book, cancel one, book again, race for a shared slot. */
async function clientStory(ctx: TestContext, setup: PracticeSetup, client: SignedInClient, own: string[], shared: string): Promise<number[]> {
  const post = (url: string, payload: object) => ctx.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: client.headers, payload });
  const book = (start: string) => post('/me/bookings', { serviceId: setup.service.id, start });
  const statuses: number[] = [];
  const [first, ...rest] = own;
  const purchase = post('/me/purchases', { packageId: setup.pkg.id });
  const booked = await book(first!);
  statuses.push(booked.statusCode);
  if (booked.statusCode === 201) statuses.push((await post(`/me/bookings/${booked.json().booking.id}/cancel`, {})).statusCode);
  for (const start of rest) statuses.push((await book(start)).statusCode);
  statuses.push((await purchase).statusCode);
  statuses.push((await book(shared)).statusCode);
  return statuses;
}

describeEachDialect(
  'verify under load',
  (ctx) => {
    it(`reports no violation while ${CLIENTS * (BOOKINGS_PER_CLIENT + 1)} bookings, cancels and purchases run concurrently, and finds a corrupted row afterwards`, async () => {
      const setup = await setUpPractice(ctx);
      const slug = setup.practitioner.practice.slug;
      const clients: SignedInClient[] = [];
      for (let i = 0; i < CLIENTS; i++) {
        const client = await signInClient(ctx, slug);
        await grant(ctx, setup, client.id, BOOKINGS_PER_CLIENT);
        clients.push(client);
      }
      const starts = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-13');
      expect(starts.length).toBeGreaterThan(CLIENTS * BOOKINGS_PER_CLIENT);
      const shared = starts[CLIENTS * BOOKINGS_PER_CLIENT]!;

      let writing = true;
      const load = Promise.all(
        clients.map((client, i) => clientStory(ctx, setup, client, Array.from({ length: BOOKINGS_PER_CLIENT }, (_, k) => starts[i + k * CLIENTS]!), shared)),
      ).finally(() => {
        writing = false;
      });
      const runs: { duringLoad: boolean; violations: string[] }[] = [];
      const verifier = async () => {
        while (writing) {
          const violations = await findViolations(ctx.db);
          runs.push({ duringLoad: writing, violations });
          // On SQLite every query resolves as a microtask: yield, or the requests would never run.
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      await Promise.all([load, ...Array.from({ length: VERIFIERS }, verifier)]);
      const statuses = (await load).flat();

      expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(30);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(runs.filter((r) => r.duringLoad).length).toBeGreaterThanOrEqual(VERIFY_RUNS_MIN);
      const falseAlarms = runs.flatMap((r) => r.violations);
      console.log(`[${ctx.dialect}] ${runs.length} verify runs (${runs.filter((r) => r.duringLoad).length} during load): ${falseAlarms.length} violation(s) reported`);
      expect(falseAlarms).toEqual([]);
      expect(await findViolations(ctx.db)).toEqual([]);

      // A booking marked completed behind the app's back, its credit still held and never consumed.
      const victim = await ctx.db.kysely.selectFrom('bookings').select('id').where('status', '=', 'confirmed').orderBy('id').executeTakeFirstOrThrow();
      await ctx.db.kysely.updateTable('bookings').set({ status: 'completed' }).where('id', '=', victim.id).execute();
      const found = await findViolations(ctx.db);
      expect(found).toContain(`booking ${victim.id} (completed) still holds 1 credit(s)`);
      expect(found.every((v) => v.includes(victim.id))).toBe(true);
    });
  },
  { config: { rateLimitIpPerMin: 1000 } },
);
