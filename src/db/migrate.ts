import { Migrator } from 'kysely';
import type { Db } from './create-db.js';
import { MIGRATIONS } from './migrations/index.js';

/**
 * Brings the schema up to date; safe to run from several processes at once: Kysely takes an advisory
 * lock on PostgreSQL, and on SQLite the migrations run in one `BEGIN IMMEDIATE` transaction.
 */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => MIGRATIONS },
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}
