import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { testConfig } from '../../src/config.js';
import { createDb, type Db } from '../../src/db/create-db.js';
import { findViolations } from '../../src/db/verify.js';
import { buildApp, type App } from '../../src/http/build-app.js';
import { createJobRunner } from '../../src/jobs/runner.js';
import { enqueueJob } from '../../src/app/schedule-job.js';
import { DIALECTS, openTestDb } from '../support/databases.js';
import type { TestContext } from '../support/app.js';
import { setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

/**
 * Two servers' job runners on one PostgreSQL claim jobs with FOR UPDATE SKIP LOCKED. The first test
 * checks the outcome of the real sweeps when both tick at once; the sweeps are idempotent under the
 * client's row lock, so a job claimed twice would only be tried twice and that test would still
 * pass. The second test therefore counts the runs themselves: with a handler that records every
 * call, a job claimed by two runners shows as two runs (and as attempts = 2).
 */
describe.runIf(DIALECTS.includes('postgres'))('two job runners sharing one PostgreSQL', () => {
  const ctx = { dialect: 'postgres' } as TestContext;
  let other: { app: App; db: Db };
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openTestDb('postgres');
    drop = opened.drop;
    ctx.db = opened.db;
    ctx.clock = new FakeClock('2026-03-02T08:00:00.000Z');
    ctx.config = testConfig({ databaseUrl: opened.url, rateLimitIpPerMin: 1000 });
    ctx.app = await buildApp({ config: ctx.config, db: ctx.db, clock: ctx.clock });
    const db = createDb(opened.url);
    other = { db, app: await buildApp({ config: ctx.config, db, clock: ctx.clock }) };
  });
  afterAll(async () => {
    await other.app.close();
    await other.db.close();
    await ctx.app.close();
    await drop();
  });

  it('completes each ended session once and expires each lot once when both runners tick together', async () => {
    const setup = await setUpPractice(ctx);
    const slug = setup.practitioner.practice.slug;
    const starts = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-04');
    for (let i = 0; i < 6; i++) {
      const client = await signInClient(ctx, slug);
      await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: setup.practitioner.headers, payload: { credits: 2, validityDays: 5, reason: 'test' } });
      const booked = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: setup.service.id, start: starts[i] } });
      expect(booked.statusCode).toBe(201);
    }
    ctx.clock.set('2026-03-20T00:00:00.000Z'); // every session ended, every lot expired
    for (let round = 0; round < 3; round++) await Promise.all([ctx.app.jobs.tick(), other.app.jobs.tick(), ctx.app.jobs.tick(), other.app.jobs.tick()]);

    const entries = await ctx.db.kysely.selectFrom('ledger_entries').select(['kind', 'amount']).execute();
    expect(entries.filter((e) => e.kind === 'consume')).toHaveLength(6);
    expect(entries.filter((e) => e.kind === 'expire').reduce((n, e) => n + e.amount, 0)).toBe(6);
    const statuses = await ctx.db.kysely.selectFrom('bookings').select('status').execute();
    expect(statuses.every((b) => b.status === 'completed')).toBe(true);
    const failed = await ctx.db.kysely.selectFrom('jobs').select(['kind', 'last_error']).where('last_error', 'is not', null).execute();
    expect(failed).toEqual([]);
    expect(await findViolations(ctx.db)).toEqual([]);
  });

  it('runs each due job exactly once when six runners on two connection pools claim at the same time', async () => {
    const JOBS = 120;
    const kind = 'count-runs';
    const runs: { job: number; runner: number }[] = [];
    // Three runners per app: each is a process's runner with its own claim transactions.
    const runners = [ctx.app, other.app, ctx.app, other.app, ctx.app, other.app].map((app, runner) =>
      createJobRunner(app.deps, {
        [kind]: async (_deps, payload) => {
          runs.push({ job: (payload as { job: number }).job, runner });
          await new Promise((resolve) => setTimeout(resolve, 2));
          return null;
        },
      }),
    );
    const now = ctx.clock.now();
    await ctx.db.write(async (trx) => {
      for (let job = 0; job < JOBS; job++) await enqueueJob(trx, { kind, runAt: now, payload: { job } }, now);
    });

    for (let round = 0; round < 10 && runs.length < JOBS; round++) await Promise.all(runners.map((r) => r.tick()));

    const timesRun = new Map<number, number>();
    for (const { job } of runs) timesRun.set(job, (timesRun.get(job) ?? 0) + 1);
    expect([...timesRun.entries()].filter(([, n]) => n !== 1), 'jobs run more than once').toEqual([]);
    expect(timesRun.size).toBe(JOBS);
    // The runners shared the work: they really claimed side by side.
    expect(new Set(runs.map((r) => r.runner)).size).toBeGreaterThan(1);
    const rows = await ctx.db.kysely.selectFrom('jobs').select(['status', 'attempts', 'last_error']).where('kind', '=', kind).execute();
    expect(rows).toHaveLength(JOBS);
    expect(rows.filter((r) => r.status !== 'done' || r.attempts !== 1 || r.last_error !== null)).toEqual([]);
    await Promise.all(runners.map((r) => r.stop()));
  });
});
