import { sql, type Kysely } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited once landed.
//
// Every booking read a client's balance by summing their whole ledger, so a regular client's
// bookings slowed down as their history grew. Each lot now also stores its buckets, moved by the
// same transaction that appends each entry; `verify` checks they equal the sums of the entries,
// which stay the truth. Existing lots get their sums now. The moves per kind are the domain's
// BUCKET_DELTAS at the time of writing, spelled out here.

const SUMS: Record<string, string> = {
  granted: `case kind when 'grant' then amount when 'adjust' then amount else 0 end`,
  available: `case kind when 'grant' then amount when 'adjust' then amount when 'release' then amount when 'restore' then amount
    when 'hold' then -amount when 'expire' then -amount when 'revoke' then -amount else 0 end`,
  held: `case kind when 'hold' then amount when 'release' then -amount when 'consume' then -amount when 'forfeit' then -amount else 0 end`,
  used: `case kind when 'consume' then amount when 'forfeit' then amount when 'restore' then -amount else 0 end`,
  expired: `case kind when 'expire' then amount when 'revoke' then amount else 0 end`,
};

export async function up(db: Kysely<any>): Promise<void> {
  for (const bucket of Object.keys(SUMS)) {
    await db.schema.alterTable('lots').addColumn(bucket, 'integer', (c) => c.notNull().defaultTo(0)).execute();
  }
  await db
    .updateTable('lots')
    .set(Object.fromEntries(Object.entries(SUMS).map(([bucket, movement]) => [
      bucket,
      sql`(select coalesce(sum(${sql.raw(movement)}), 0) from ledger_entries e where e.lot_id = lots.id)`,
    ])))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
