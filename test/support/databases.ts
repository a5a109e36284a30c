import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Migrator } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db, type DialectName } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PostgreSQL the tests create their databases on; null only under TEST_SQLITE_ONLY=1. */
    postgresUrl: string | null;
  }
}

const provided = inject('postgresUrl');
if (provided === undefined) {
  // A test file outside the projects of vitest.config.ts that provide it would silently lose PostgreSQL.
  throw new Error('test/support/databases.ts needs test/support/postgres-setup.ts as globalSetup: add the test file to a project of vitest.config.ts that has it');
}
const POSTGRES_URL = provided ?? undefined;

/**
 * SQLite always, PostgreSQL always too (test/support/postgres-setup.ts chose it, or failed the run),
 * except under an explicit TEST_SQLITE_ONLY=1. `for (const dialect of DIALECTS)`.
 */
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
  if (!POSTGRES_URL) throw new Error('PostgreSQL is off for this run (TEST_SQLITE_ONLY=1)');
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

/**
 * A fresh database migrated up to `migration` (included), as a data-migration test fills it in the
 * shape an older version wrote; `migrateTo` moves it on, and `migrateToLatest` (src/db/migrate.ts) finishes.
 */
export async function openTestDbAt(dialect: DialectName, migration: string): Promise<{ db: Db; url: string; drop(): Promise<void>; migrateTo(name: string): Promise<void> }> {
  const database = await createTestDatabase(dialect);
  const db = createDb(database.url);
  const migrator = new Migrator({ db: db.kysely, provider: { getMigrations: async () => MIGRATIONS } });
  const migrateTo = async (name: string) => {
    const { error } = await migrator.migrateTo(name);
    if (error) throw error;
  };
  await migrateTo(migration);
  return {
    db,
    url: database.url,
    migrateTo,
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
