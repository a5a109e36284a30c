import type { Kysely } from 'kysely';

// Frozen in time. Deleting a package's last service used to leave the package active with an empty
// service list: it sold credits that no service accepts. Such packages stop being sold; the
// practitioner can give them services again and reactivate them.

export async function up(db: Kysely<any>): Promise<void> {
  await db.updateTable('packages').set({ active: 0 }).where('service_ids_json', '=', '[]').where('active', '=', 1).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
