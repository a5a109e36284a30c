import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db, type DialectName } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';

const POSTGRES_URL = process.env.TEST_DATABASE_URL;

if (process.env.CI === 'true' && !POSTGRES_URL) {
  // In CI a missing PostgreSQL is a failure, never a silent skip.
  throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL half of the suite would not run');
}

/** SQLite always; PostgreSQL when TEST_DATABASE_URL is set. `for (const dialect of DIALECTS)`. */
export const DIALECTS: DialectName[] = POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase {
  url: string;
  /** Drops the database (PostgreSQL) or deletes the file (SQLite). */
  drop(): Promise<void>;
}

/** A fresh, empty database of the dialect: a SQLite file in a temp dir, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tallybook-'));
    return { url: `sqlite:${path.join(dir, 'test.db')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  if (!POSTGRES_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `tb_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A fresh migrated database opened as a Db. */
export async function openTestDb(dialect: DialectName): Promise<{ db: Db; url: string; drop(): Promise<void> }> {
  const database = await createTestDatabase(dialect);
  const db = createDb(database.url);
  await migrateToLatest(db);
  return {
    db,
    url: database.url,
    drop: async () => {
      await db.close();
      await database.drop();
    },
  };
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
