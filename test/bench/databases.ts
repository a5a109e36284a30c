import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type Dialect = 'sqlite' | 'postgres';

export interface BenchDatabase {
  dialect: Dialect;
  url: string;
  /** The SQLite file (the replay opens it itself). */
  file?: string;
  drop(): Promise<void>;
}

/** Where PostgreSQL answers: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local default (trust auth). */
export const POSTGRES_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The PostgreSQL server's version, or null when it does not answer (its half of the bench is then skipped). */
export async function postgresVersion(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>(`select current_setting('server_version') as v`);
    return rows[0]?.v.split(' ')[0] ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh database of its own for one part of the bench, dropped afterwards. */
export async function createBenchDatabase(dialect: Dialect, name: string): Promise<BenchDatabase> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tallybook-bench-${name}-`));
    const file = path.join(dir, 'bench.db');
    return { dialect, url: `sqlite:${file}`, file, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const database = `tallybook_bench_${name}_${process.pid}`;
  await admin(`create database ${database}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return { dialect, url: url.toString(), drop: () => admin(`drop database if exists ${database} with (force)`) };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
