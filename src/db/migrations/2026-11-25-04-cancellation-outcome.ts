import type { Kysely } from 'kysely';

// Frozen in time. A cancellation's outcome is kept as it was decided, so a repeated cancel answers
// exactly the same even after the policy changed.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bookings').addColumn('cancellation_json', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
