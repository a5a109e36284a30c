import { sql, type Kysely } from 'kysely';

// Frozen in time. A recurring sweep never becomes `failed`: it counts its failures in a row, for
// the health check, and retries. Rows a former version marked failed are revived.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db
    .updateTable('jobs')
    .set({ status: 'pending', attempts: 0, consecutive_failures: sql`attempts` })
    .where('status', '=', 'failed')
    .where('dedupe_key', 'like', 'recurring:%')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
