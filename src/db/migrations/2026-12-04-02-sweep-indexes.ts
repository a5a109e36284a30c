import type { Kysely } from 'kysely';

// Frozen in time. The sweeps run every minute: completion looks for confirmed sessions that ended,
// expiry for lots past their end. Without these they scan every booking and every lot.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('bookings_status_end').on('bookings').columns(['status', 'end_at']).execute();
  await db.schema.createIndex('lots_expires').on('lots').columns(['expires_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
