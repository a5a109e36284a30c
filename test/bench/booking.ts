import path from 'node:path';
import { createDb, type Db } from '../../src/db/create-db.js';
import { firstPlanDay, MAX_ADVANCE_DAYS, planClient, planStart, SESSION_MINUTES, type BookingPlan } from './booking-plan.js';
import { captureBooking } from './capture.js';
import { replayPostgres, replaySqlite, type ReplayResult } from './ceiling.js';
import { createBenchDatabase, type BenchDatabase, type Dialect } from './databases.js';
import { runLoad, type LoadResult } from './load.js';
import { setUpPractice, type BenchPractice } from './practice.js';
import { sha256, templateOf, type ReplayClient, type ReplayTemplate } from './replay.js';
import { startServer } from './server.js';
import { spread, type Spread } from './stats.js';

export type ClientSpread = 'many' | 'hot';
export const CONCURRENCIES = [1, 8, 32] as const;
/** "Many": every concurrent request is a different client. "Hot": 8 clients, so requests queue on their rows. */
/**
 * The server's PostgreSQL pool (DATABASE_POOL_MAX, its default): it never runs more transactions at
 * once, so the replay's connections are capped at it — the database sees the same concurrency.
 */
export const SERVER_POOL_MAX = 10;
const CLIENTS: Record<ClientSpread, { count: number; grants: number }> = { many: { count: 128, grants: 2 }, hot: { count: 8, grants: 3 } };

export interface BookingFigures {
  dialect: Dialect;
  spread: ClientSpread;
  connections: number;
  http: { perSec: Spread; p50Ms: Spread; p99Ms: Spread; failed: number };
  ceiling: { perSec: Spread; p50Ms: Spread; p99Ms: Spread };
}

export interface BookingReport {
  figures: BookingFigures[];
  /** Statements of one booking, as captured (request and the mail delivery it kicks). */
  statements: Record<ClientSpread, { count: number; transaction: number; sql: string[] }>;
}

interface Setup {
  practice: BenchPractice;
  plan: BookingPlan;
  template: ReplayTemplate;
  clients: ReplayClient[];
  nextN: number;
  idPrefix: string;
  statements: { count: number; transaction: number; sql: string[] };
}

/**
 * `POST /me/bookings` through HTTP against a production server, and its ceiling: the same bookings'
 * statements replayed straight through the driver, at the same concurrency, against the same
 * database, rounds interleaved (HTTP then replay, for every spread and concurrency, three times).
 */
export async function benchBookings(dialect: Dialect, options: { rounds: number; httpSec: number; replaySec: number; logDir: string }): Promise<BookingReport> {
  const database = await createBenchDatabase(dialect, 'booking');
  const server = await startServer({ env: { DATABASE_URL: database.url, DATABASE_POOL_MAX: String(SERVER_POOL_MAX), RATE_LIMIT_IP_PER_MIN: '1000000' }, logFile: path.join(options.logDir, `server-booking-${dialect}.log`) });
  const db = createDb(database.url, { poolMax: 2 });
  try {
    const setups = { many: await setUp(server.url, db, database, 'many'), hot: await setUp(server.url, db, database, 'hot') };
    const raw = new Map<string, { http: LoadResult[]; ceiling: ReplayResult[] }>();
    for (let round = 0; round < options.rounds; round++) {
      for (const spreadName of ['many', 'hot'] as const) {
        const setup = setups[spreadName];
        for (const connections of CONCURRENCIES) {
          const key = `${spreadName}:${connections}`;
          const entry = raw.get(key) ?? { http: [], ceiling: [] };
          raw.set(key, entry);
          const http = await runLoad({ url: server.url, connections, durationSec: options.httpSec, target: { kind: 'booking', plan: setup.plan, firstN: setup.nextN, runId: `r${round}c${connections}` } });
          setup.nextN += http.issued;
          await settle(db);
          entry.http.push(http);
          const replay =
            dialect === 'sqlite'
              ? await replaySqlite({ file: database.file!, template: setup.template, clients: setup.clients, firstDayMs: setup.plan.firstDayMs, firstN: setup.nextN, durationSec: options.replaySec, idPrefix: setup.idPrefix })
              : await replayPostgres({ url: database.url, template: setup.template, clients: setup.clients, firstDayMs: setup.plan.firstDayMs, firstN: setup.nextN, connections: Math.min(connections, SERVER_POOL_MAX), durationSec: options.replaySec, idPrefix: setup.idPrefix });
          setup.nextN = replay.nextN;
          entry.ceiling.push(replay);
          console.log(`  ${dialect} ${spreadName} c=${connections} round ${round + 1}: HTTP ${http.okPerSec.toFixed(0)}/s p99 ${http.p99Ms} ms (${http.failed} failed); replay ${replay.perSec.toFixed(0)}/s`);
        }
      }
    }
    const figures: BookingFigures[] = [...raw].map(([key, { http, ceiling }]) => {
      const [spreadName, connections] = key.split(':') as [ClientSpread, string];
      return {
        dialect,
        spread: spreadName,
        connections: Number(connections),
        http: { perSec: spread(http.map((h) => h.okPerSec)), p50Ms: spread(http.map((h) => h.p50Ms)), p99Ms: spread(http.map((h) => h.p99Ms)), failed: http.reduce((n, h) => n + h.failed, 0) },
        ceiling: { perSec: spread(ceiling.map((c) => c.perSec)), p50Ms: spread(ceiling.map((c) => c.p50Ms)), p99Ms: spread(ceiling.map((c) => c.p99Ms)) },
      };
    });
    return { figures, statements: { many: setups.many.statements, hot: setups.hot.statements } };
  } finally {
    await server.stop();
    await db.close();
    await database.drop();
  }
}

async function setUp(base: string, db: Db, database: BenchDatabase, spreadName: ClientSpread): Promise<Setup> {
  const practice = await setUpPractice(base, db, {
    slug: `bench-${spreadName}`,
    timeZone: 'UTC',
    service: { name: 'Session', durationMinutes: SESSION_MINUTES, maxAdvanceDays: MAX_ADVANCE_DAYS },
    clientCount: CLIENTS[spreadName].count,
    grantsPerClient: CLIENTS[spreadName].grants,
  });
  const plan: BookingPlan = { serviceId: practice.serviceId, firstDayMs: firstPlanDay(Date.now()), tokens: practice.clients.map((c) => c.token) };
  const clients: ReplayClient[] = practice.clients.map((c) => ({ id: c.id, tokenHash: sha256(c.token), lotId: c.lotIds[0]!, email: c.email }));

  // Booking 0 of the plan is the captured one; the load starts at 1.
  const startMs = planStart(plan.firstDayMs, 0);
  const key = `bench-capture-${spreadName}`;
  const captured = await captureBooking(db, database.url, { token: plan.tokens[planClient(plan.tokens.length, 0)]!, body: { serviceId: plan.serviceId, start: new Date(startMs).toISOString() }, idempotencyKey: key });
  if (captured.status !== 201) throw new Error(`the captured booking failed: ${captured.status} ${captured.body}`);
  const template = templateOf(captured.statements, { client: clients[0]!, key, startMs, knownIds: await knownIds(db) });
  assertTemplateNamesTheBooking(template);
  const sql = captured.statements.map((s) => s.sql);
  const begin = sql.findIndex((s) => /^(begin|start transaction)/i.test(s));
  const commit = sql.findIndex((s) => /^commit/i.test(s));
  return { practice, plan, template, clients, nextN: 1, idPrefix: `r${spreadName}`, statements: { count: sql.length, transaction: commit - begin + 1, sql } };
}

/** Ids of rows that exist before the booking: they stay as captured; any other id is one the booking creates. */
async function knownIds(db: Db): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const table of ['practices', 'users', 'services', 'clients', 'lots', 'packages'] as const) {
    for (const row of await db.kysely.selectFrom(table).select('id').execute()) ids.add(row.id);
  }
  return ids;
}

/** A replay that lost track of its client, lot, session or slot would measure something cheaper. */
function assertTemplateNamesTheBooking(template: ReplayTemplate): void {
  const parts = template.statements.flatMap((s) => s.params.flatMap((p) => ('parts' in p ? p.parts : [])));
  const has = (test: (part: (typeof parts)[number]) => boolean) => parts.some(test);
  const missing = [
    has((p) => 'client' in p && p.client === 'tokenHash') ? null : 'session',
    has((p) => 'client' in p && p.client === 'id') ? null : 'client',
    has((p) => 'client' in p && p.client === 'lotId') ? null : 'lot',
    has((p) => 'key' in p) ? null : 'Idempotency-Key',
    has((p) => 'at' in p && p.at === 0) ? null : 'start',
    has((p) => 'fresh' in p) ? null : 'new rows',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`the captured booking's template does not vary its ${missing.join(', ')}`);
}

const SETTLE_TIMEOUT_MS = 10_000;

/**
 * After a round of load the server still answers the requests in flight and delivers their mail;
 * the replay must not start before it is done, or it would share the database with it.
 */
async function settle(db: Db): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const row = await db.kysely.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow();
    if (Number(row.n) === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 200));
}
