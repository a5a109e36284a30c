/**
 * The SQLite ceiling, in its own process: the captured statements of one booking, prepared once
 * and run straight through better-sqlite3 on a connection set up as the server's (WAL,
 * synchronous=FULL, foreign keys, busy timeout), one booking after another for `durationSec`.
 * The server holds one connection and runs one transaction at a time, so one connection in a loop
 * is its ceiling at any concurrency.
 *
 * `node dist/test/bench/replay-sqlite.js <spec.json>` prints a ReplayResult as JSON.
 */
import fs from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { planClient, planStart } from './booking-plan.js';
import { renderParams, type ReplayClient, type ReplayTemplate } from './replay.js';
import type { ReplayResult } from './ceiling.js';

export interface SqliteReplaySpec {
  file: string;
  template: ReplayTemplate;
  clients: ReplayClient[];
  firstDayMs: number;
  firstN: number;
  durationSec: number;
  /** Ids of replayed rows: `${idPrefix}${n}-${i}`, apart from those the server makes. */
  idPrefix: string;
}

const spec = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as SqliteReplaySpec;
const db = new SqliteDatabase(spec.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
const statements = spec.template.statements.map((s) => ({ statement: db.prepare(s.sql), params: s.params }));

const latencies: number[] = [];
const deadline = process.hrtime.bigint() + BigInt(spec.durationSec * 1e9);
const started = process.hrtime.bigint();
let n = spec.firstN;
for (; process.hrtime.bigint() < deadline; n++) {
  const start = process.hrtime.bigint();
  const values = { n, client: spec.clients[planClient(spec.clients.length, n)]!, startMs: planStart(spec.firstDayMs, n), key: `${spec.idPrefix}replay-${n}`, idPrefix: spec.idPrefix };
  for (const { statement, params } of statements) {
    const bound = renderParams(params, values);
    if (statement.reader) statement.all(bound);
    else statement.run(bound);
  }
  latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
db.close();
latencies.sort((a, b) => a - b);
const result: ReplayResult = {
  perSec: latencies.length / seconds,
  p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
  p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
  count: latencies.length,
  nextN: n,
};
process.stdout.write(JSON.stringify(result));
