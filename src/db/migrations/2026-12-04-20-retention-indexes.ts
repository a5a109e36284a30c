import type { Kysely } from 'kysely';

// Frozen in time. The cleanup sweep deletes by age; these indexes let each of its bounded batches
// find the oldest rows without scanning the table.

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await s.createIndex('idempotency_keys_created').on('idempotency_keys').columns(['created_at']).execute();
  await s.createIndex('rate_limits_window').on('rate_limits').columns(['window_start']).execute();
  await s.createIndex('sessions_expires').on('sessions').columns(['expires_at']).execute();
  await s.createIndex('login_codes_expires').on('login_codes').columns(['expires_at']).execute();
  await s.createIndex('password_resets_expires').on('password_resets').columns(['expires_at']).execute();
  await s.createIndex('mail_outbox_finished').on('mail_outbox').columns(['status', 'created_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
