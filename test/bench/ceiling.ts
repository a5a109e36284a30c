import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PG_IDLE_IN_TRANSACTION_TIMEOUT_MS, PG_LOCK_TIMEOUT_MS, PG_STATEMENT_TIMEOUT_MS } from '../../src/db/create-db.js';
import { pgbenchScript, type ReplayClient, type ReplayTemplate } from './replay.js';
import type { SqliteReplaySpec } from './replay-sqlite.js';

export interface ReplayResult {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  count: number;
  /** The first booking number the next round may use. */
  nextN: number;
}

const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench';

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}: ${stderr.slice(-2000)}`))));
  });
}

export async function replaySqlite(spec: SqliteReplaySpec): Promise<ReplayResult> {
  const file = path.join(os.tmpdir(), `tallybook-replay-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify(spec));
  try {
    return JSON.parse(await run(process.execPath, [path.resolve('dist/test/bench/replay-sqlite.js'), file])) as ReplayResult;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/**
 * The PostgreSQL ceiling: pgbench (libpq, named prepared statements) running the captured booking as
 * a custom script, one transaction per booking as the server's, at the given number of connections,
 * with the server's session settings (lock, statement and idle-in-transaction timeouts).
 */
export async function replayPostgres(options: {
  url: string;
  template: ReplayTemplate;
  clients: ReplayClient[];
  firstDayMs: number;
  firstN: number;
  connections: number;
  durationSec: number;
  idPrefix: string;
}): Promise<ReplayResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tallybook-pgbench-'));
  try {
    const script = path.join(dir, 'booking.sql');
    fs.writeFileSync(script, pgbenchScript(options.template, { firstDayMs: options.firstDayMs, clients: options.clients, connections: options.connections, idPrefix: options.idPrefix }));
    const env = {
      ...process.env,
      PGOPTIONS: `-c lock_timeout=${PG_LOCK_TIMEOUT_MS} -c statement_timeout=${PG_STATEMENT_TIMEOUT_MS} -c idle_in_transaction_session_timeout=${PG_IDLE_IN_TRANSACTION_TIMEOUT_MS}`,
    };
    const args = ['-n', '-M', 'prepared', '-c', String(options.connections), '-j', String(Math.min(options.connections, os.cpus().length)), '-T', String(options.durationSec)];
    args.push('-D', `base=${options.firstN}`, '-D', 'k=0', '-l', `--log-prefix=${path.join(dir, 'tx')}`, '-f', script, options.url);
    const out = await run(PGBENCH, args, env);
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
    if (!Number.isFinite(tps) || failed > 0) throw new Error(`pgbench: ${out}`);
    const latencies = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('tx'))
      .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n'))
      .filter(Boolean)
      .map((line) => Number(line.split(' ')[2]) / 1000)
      .sort((a, b) => a - b);
    return {
      perSec: tps,
      p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
      p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
      count: latencies.length,
      nextN: Math.max(options.firstN, (await lastReplayedN(options.url, options.idPrefix)) + 1),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Replayed bookings are numbered in their ids ('<prefix><n>-<i>'): the highest tells where the plan goes on. */
async function lastReplayedN(url: string, idPrefix: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string | null }>(`select max(split_part(substr(id, $1), '-', 1)::bigint) as n from bookings where starts_with(id, $2)`, [idPrefix.length + 1, idPrefix]);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
