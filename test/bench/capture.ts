import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/create-db.js';
import { buildApp } from '../../src/http/build-app.js';

/** One SQL statement as the driver received it, with its parameters and how long the driver took. */
export interface Statement {
  sql: string;
  params: unknown[];
  ms: number;
}

let recording: Statement[] | null = null;
let patched = false;

/**
 * Records every statement the drivers run in this process while `recording` is set: better-sqlite3
 * statements (run/get/all, what Kysely's SQLite driver calls) and pg's Client#query. Patching the
 * drivers rather than a Kysely log hook catches what Kysely itself adds (BEGIN IMMEDIATE, START
 * TRANSACTION …, COMMIT) and needs no change to src/.
 */
function patchDrivers(): void {
  if (patched) return;
  patched = true;
  const probe = new SqliteDatabase(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ['run', 'get', 'all']) {
    const original = statementProto[method]!;
    statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
      if (!recording) return original.apply(this, args);
      const start = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        recording.push({ sql: this.source, params: (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as unknown[], ms: Number(process.hrtime.bigint() - start) / 1e6 });
      }
    };
  }
  const clientProto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = clientProto.query;
  clientProto.query = function (this: unknown, ...args: unknown[]) {
    const result = query.apply(this, args);
    const log = recording;
    if (!log || typeof args[0] !== 'string' || !(result instanceof Promise)) return result;
    const entry: Statement = { sql: args[0], params: (args[1] as unknown[] | undefined) ?? [], ms: NaN };
    log.push(entry);
    const start = process.hrtime.bigint();
    return result.then((r: unknown) => {
      entry.ms = Number(process.hrtime.bigint() - start) / 1e6;
      return r;
    });
  };
}

/**
 * The statements one `POST /me/bookings` issues, from authentication to the mail delivery its
 * commit kicks off: the same app code as the server, built in this process over the same database
 * (jobs off, so nothing else runs), one booking injected.
 */
export async function captureBooking(db: Db, databaseUrl: string, request: { token: string; body: unknown; idempotencyKey: string }): Promise<{ statements: Statement[]; status: number; body: string }> {
  patchDrivers();
  const config = { ...loadConfig({ NODE_ENV: 'production', DATABASE_URL: databaseUrl }), runJobs: false, logLevel: 'silent' };
  const app = await buildApp({ config, db, clock: systemClock });
  await app.ready();
  // One booking first, unrecorded: statement caches and pool connections warm, as in a running server.
  const log: Statement[] = [];
  try {
    recording = log;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/me/bookings',
      headers: { authorization: `Bearer ${request.token}`, 'idempotency-key': request.idempotencyKey },
      payload: request.body as object,
    });
    await app.deps.mail.idle();
    recording = null;
    return { statements: log, status: res.statusCode, body: res.body };
  } finally {
    recording = null;
    await app.close();
  }
}
