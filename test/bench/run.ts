/**
 * `npm run bench`: the median time of a 60-day slot listing (GET /public/{slug}/services/{id}/slots)
 * with 0, 2,000 and 20,000 bookings in the calendar, on SQLite, as ratios to a baseline measured
 * in the same run (GET /healthz through the same app), so figures compare across machines.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeClock } from '../../src/clock.js';
import { testConfig } from '../../src/config.js';
import { createDb } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { buildApp } from '../../src/http/build-app.js';

const RUNS = 25;
const CALENDAR_SIZES = [0, 2_000, 20_000];
const NOW = '2026-03-02T00:00:00.000Z';

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await fn(); // warm up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tallybook-bench-'));
  const url = `sqlite:${path.join(dir, 'bench.db')}`;
  const db = createDb(url);
  await migrateToLatest(db);
  const app = await buildApp({ config: testConfig({ databaseUrl: url }), db, clock: new FakeClock(NOW) });
  const json = async (method: 'POST' | 'PUT', route: string, payload: object, cookie = '') => {
    const res = await app.inject({ method, url: `/api/v1${route}`, payload, headers: cookie ? { cookie } : {} });
    if (res.statusCode >= 300) throw new Error(`${route}: ${res.statusCode} ${res.body}`);
    return res;
  };
  const signup = await json('POST', '/signup', { email: 'bench@example.com', password: 'correct horse battery', name: 'B', practiceName: 'Bench', slug: 'bench', timeZone: 'Europe/London' });
  const cookie = String(signup.headers['set-cookie']).split(';')[0]!;
  await json('PUT', '/availability', { weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '07:00', end: '21:00' })), overrides: [] }, cookie);
  const service = (await json('POST', '/services', { name: 'Session', durationMinutes: 30, slotStepMinutes: 15, maxAdvanceDays: 90 }, cookie)).json();
  const other = (await json('POST', '/services', { name: 'Other', durationMinutes: 30, bufferAfterMinutes: 10 }, cookie)).json();
  const client = (await json('POST', '/clients', { email: 'c@example.com', name: 'C' }, cookie)).json();
  const practiceId = signup.json().practice.id as string;

  const listing = () => app.inject({ method: 'GET', url: `/api/v1/public/bench/services/${service.id}/slots?from=2026-03-02&to=2026-04-30` });
  const baseline = await median(RUNS * 4, () => app.inject({ method: 'GET', url: '/healthz' }));
  const slots = (await listing()).json().slots.length as number;

  console.log(`baseline GET /healthz: ${baseline.toFixed(3)} ms (median of ${RUNS * 4}); node ${process.version}, ${os.cpus().length} cores`);
  console.log('| bookings in calendar | 60-day slot listing, median | ratio to baseline | slots offered |');
  console.log('| --- | --- | --- | --- |');
  let inserted = 0;
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (const size of CALENDAR_SIZES) {
    const rows = [];
    for (; inserted < size; inserted++) {
      const start = Date.parse(NOW) + Math.floor(random() * 60 * 24 * 4) * 15 * 60_000;
      rows.push({
        id: `b${inserted}`,
        practice_id: practiceId,
        client_id: client.id,
        service_id: random() < 0.5 ? service.id : other.id,
        start_at: new Date(start).toISOString(),
        end_at: new Date(start + 30 * 60_000).toISOString(),
        buffer_before_minutes: 0,
        buffer_after_minutes: 10,
        status: 'confirmed' as const,
        payment_kind: 'free' as const,
        credits: 0,
        sequence: 0,
        cancel_reason: null,
        created_at: NOW,
        updated_at: NOW,
      });
    }
    for (let i = 0; i < rows.length; i += 500) await db.kysely.insertInto('bookings').values(rows.slice(i, i + 500)).execute();
    const ms = await median(RUNS, listing);
    const offered = (await listing()).json().slots.length as number;
    console.log(`| ${size.toLocaleString('en')} | ${ms.toFixed(2)} ms | ${(ms / baseline).toFixed(1)}× | ${offered} |`);
  }
  console.log(`(${slots} slots offered on an empty calendar)`);
  await app.close();
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
