/**
 * `npm run bench` (never part of `npm test`): writes bench/results.md. See the README's
 * "Benchmarks" and the "How" section of the results for what is measured and why.
 * BENCH_ROUNDS (default 3) and BENCH_SECONDS (default 4, HTTP load per round) trade time for noise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../src/db/create-db.js';
import { benchBookings, type BookingReport } from './booking.js';
import { buildFixture } from './calendar-fixture.js';
import { createBenchDatabase, postgresVersion } from './databases.js';
import { describeMachine } from './machine.js';
import { benchMemory } from './memory.js';
import { benchReadPath } from './read-path.js';
import { resultsMarkdown } from './results.js';
import { startServer } from './server.js';
import { benchSlotEngine } from './slot-engine.js';
import { benchNpmStart } from './startup.js';
import { bookingPageAssets } from './web-size.js';

const started = Date.now();
const loadAtStart = os.loadavg()[0]!;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const httpSec = Number(process.env.BENCH_SECONDS ?? 4);
const settings = { httpSec, replaySec: Math.max(2, httpSec - 1), readSec: httpSec };
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tallybook-bench-logs-'));
console.log(`server logs in ${logDir}`);

const pgVersion = await postgresVersion();
const machine = describeMachine(pgVersion);

/** The figures that share one SQLite database of calendars (see calendar-fixture.ts). */
async function catalogFigures() {
  const catalog = await createBenchDatabase('sqlite', 'catalog');
  try {
    const server = await startServer({ env: { DATABASE_URL: catalog.url }, logFile: path.join(logDir, 'server-catalog.log') });
    const db = createDb(catalog.url);
    try {
      const fixture = await buildFixture(server.url, db);
      const slots = await benchSlotEngine(server.url, fixture, rounds);
      const readPath = await benchReadPath(server.url, fixture, { rounds, seconds: settings.readSec, logDir });
      await server.stop();
      const memory = await benchMemory(catalog.url, fixture, { rounds, seconds: httpSec, logDir });
      const npmStartMs = await benchNpmStart(catalog.url, { rounds, logDir });
      return { slots, readPath, memory, npmStartMs };
    } finally {
      await server.stop();
      await db.close();
    }
  } finally {
    await catalog.drop();
  }
}

console.log('slot engine, read path, memory, start-up (SQLite)');
const { slots, readPath, memory, npmStartMs } = await catalogFigures();

const bookings: BookingReport[] = [];
console.log('booking throughput, SQLite');
bookings.push(await benchBookings('sqlite', { rounds, httpSec, replaySec: settings.replaySec, logDir }));
if (pgVersion) {
  console.log('booking throughput, PostgreSQL');
  bookings.push(await benchBookings('postgres', { rounds, httpSec, replaySec: settings.replaySec, logDir }));
}

const markdown = resultsMarkdown({
  machine,
  rounds,
  totalSeconds: (Date.now() - started) / 1000,
  loadAverage: { start: loadAtStart, end: os.loadavg()[0]! },
  bookings,
  postgresSkipped: pgVersion ? null : 'no PostgreSQL answered at BENCH_DATABASE_URL, TEST_DATABASE_URL or the local default',
  readPath,
  slots,
  memory,
  npmStartMs,
  web: bookingPageAssets(),
  settings,
});
fs.mkdirSync('bench', { recursive: true });
fs.writeFileSync('bench/results.md', markdown);
console.log(markdown);
fs.rmSync(logDir, { recursive: true, force: true });
