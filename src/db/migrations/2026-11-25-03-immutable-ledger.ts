import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time. Ledger entries are append-only: the database itself refuses to change or remove one.

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create function ledger_entries_refuse_change() returns trigger language plpgsql as $$
      begin raise exception 'ledger entries are immutable'; end $$`.execute(db);
    await sql`create trigger ledger_entries_immutable before update or delete on ledger_entries
      for each row execute function ledger_entries_refuse_change()`.execute(db);
    return;
  }
  for (const event of ['update', 'delete']) {
    await sql`create trigger ${sql.raw(`ledger_entries_no_${event}`)} before ${sql.raw(event)} on ledger_entries
      begin select raise(abort, 'ledger entries are immutable'); end`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
