import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  sql,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Transaction,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import type { Schema } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';
export type Trx = Transaction<Schema>;
export type LockableTable = 'clients' | 'calendars' | 'practices';

/**
 * The one place where SQLite and PostgreSQL differ. Use cases call `write` and `lockRow`
 * and never ask which dialect they run on.
 */
export interface Db {
  readonly kysely: Kysely<Schema>;
  readonly dialect: DialectName;
  /**
   * One write transaction: `BEGIN IMMEDIATE` on SQLite; on PostgreSQL READ COMMITTED, set on every
   * transaction rather than inherited from the server, plus row locks. The locking design (lock the
   * rows that decide, then re-read) is correct only under READ COMMITTED: under REPEATABLE READ the
   * re-reads after a lock wait would not see the winner's rows.
   */
  write<T>(work: (trx: Trx) => Promise<T>): Promise<T>;
  /**
   * One consistent read-only snapshot for reads that must agree with each other (verify):
   * REPEATABLE READ READ ONLY on PostgreSQL, a deferred read transaction on SQLite (WAL gives it a
   * snapshot at its first read without blocking writers).
   */
  readSnapshot<T>(work: (trx: Trx) => Promise<T>): Promise<T>;
  /**
   * Locks the row that decides a write (a client's credits, a practice's calendar) until commit.
   * On SQLite the whole database is already locked by `BEGIN IMMEDIATE`, so this is a no-op.
   */
  lockRow(trx: Trx, table: LockableTable, id: string): Promise<void>;
  /** Whether `FOR UPDATE SKIP LOCKED` exists (job claiming across processes). */
  readonly supportsSkipLocked: boolean;
  close(): Promise<void>;
}

const SQLITE_STATEMENT_CACHE_MAX = 500;
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const PG_POOL_MAX_DEFAULT = 10;
/** A booking waits this long for a row another transaction holds, then fails instead of queueing for ever. */
export const PG_LOCK_TIMEOUT_MS = 5_000;
export const PG_STATEMENT_TIMEOUT_MS = 30_000;
/** A transaction left open by a stuck process stops holding its locks after this long. */
export const PG_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

export function createDb(databaseUrl: string, options: { poolMax?: number } = {}): Db {
  if (databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://')) {
    return createPostgresDb(databaseUrl, options.poolMax ?? PG_POOL_MAX_DEFAULT);
  }
  if (databaseUrl.startsWith('sqlite:')) return createSqliteDb(databaseUrl.slice('sqlite:'.length));
  throw new Error(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
}

function createSqliteDb(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  // FULL: an acknowledged booking or payment survives power loss, not only a process crash.
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);

  const kysely = new Kysely<Schema>({ dialect: immediateSqliteDialect(withStatementCache(database)) });
  return {
    kysely,
    dialect: 'sqlite',
    supportsSkipLocked: false,
    write: (work) => kysely.transaction().execute(work),
    // Kysely's access mode is PostgreSQL-only; the driver reads it to begin a deferred transaction.
    readSnapshot: (work) => kysely.transaction().setAccessMode('read only').execute(work),
    lockRow: async () => {},
    close: () => kysely.destroy(),
  };
}

/**
 * Kysely's SQLite driver begins with a plain `BEGIN`, which takes the write lock only at the
 * first write; a second process writing meanwhile then fails with SQLITE_BUSY instead of waiting.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings): Promise<void> {
    // A read-only snapshot takes no write lock: a plain (deferred) BEGIN.
    await connection.executeQuery(CompiledQuery.raw(settings?.accessMode === 'read only' ? 'begin' : 'begin immediate'));
  }
}

/**
 * SQLite's DDL is transactional, but Kysely's adapter says otherwise and takes no migration lock, so
 * two processes migrating one file at once both ran the first migration. Saying so makes the
 * Migrator run inside one transaction, which `BEGIN IMMEDIATE` makes the lock: the second process
 * waits, then finds the migrations done.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

function immediateSqliteDialect(database: SqliteDatabase.Database): Dialect {
  return {
    createAdapter: () => new TransactionalDdlSqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver({ database }),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

/** Kysely prepares every query anew; better-sqlite3 statements are reusable, so keep them. */
function withStatementCache(database: SqliteDatabase.Database): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property !== 'prepare') return Reflect.get(target, property, receiver);
      return (sql: string) => {
        let statement = cache.get(sql);
        if (!statement) {
          if (cache.size >= SQLITE_STATEMENT_CACHE_MAX) cache.delete(cache.keys().next().value as string);
          statement = target.prepare(sql);
          cache.set(sql, statement);
        }
        return statement;
      };
    },
  });
}

function createPostgresDb(url: string, poolMax: number): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    lock_timeout: PG_LOCK_TIMEOUT_MS,
    statement_timeout: PG_STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: PG_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    // Counts (int8) come back as strings by default; ours are small, return numbers like SQLite.
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format),
    } as pg.CustomTypesConfig,
  });
  // An idle connection cut by the server (restart, failover) must not crash the process:
  // the pool drops it and opens another on the next query.
  pool.on('error', (error) => console.warn(`postgres: idle connection lost: ${error.message}`));
  const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    dialect: 'postgres',
    supportsSkipLocked: true,
    write: (work) => kysely.transaction().setIsolationLevel('read committed').execute(work),
    readSnapshot: (work) => kysely.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work),
    // NO KEY UPDATE: excludes other lockers of the row, but not the KEY SHARE locks that inserts
    // referencing it take (a sign-in's session, a purchase), so those do not queue behind a booking.
    lockRow: async (trx, table, id) => {
      await trx.selectFrom(table).select('id').where('id', '=', id).forNoKeyUpdate().execute();
    },
    close: () => kysely.destroy(),
  };
}

/**
 * Refuses to serve when write transactions would not run READ COMMITTED (a driver or proxy that
 * drops `SET TRANSACTION`): bookings would then oversell seats and double-spend credits.
 */
export async function assertWriteIsolation(db: Db): Promise<void> {
  if (db.dialect !== 'postgres') return;
  const level = await db.write(async (trx) => (await sql<{ transaction_isolation: string }>`show transaction_isolation`.execute(trx)).rows[0]?.transaction_isolation);
  if (level !== 'read committed') throw new Error(`write transactions run "${level}", not "read committed": bookings would not be safe`);
}
