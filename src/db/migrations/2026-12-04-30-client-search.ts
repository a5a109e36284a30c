import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time. Client search compares a normalized copy of each client's name and email
// (clients.search_text) instead of lower(name), whose meaning differed by dialect and locale. The
// column compares code points on both dialects (PostgreSQL: collation "C"; SQLite: BINARY), so
// matching and ordering are the same everywhere. Existing clients are backfilled here with a copy
// of the normalization as it is today; a later change to it needs its own backfill.

const FOLDS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ς: 'σ' };
const FOLDABLE = new RegExp(`[${Object.keys(FOLDS).join('')}]`, 'g');

function normalize(text: string): string {
  const stripped = (s: string) => s.normalize('NFKD').replace(/\p{M}+/gu, '');
  return stripped(stripped(text).toLowerCase()).replace(FOLDABLE, (c) => FOLDS[c]!);
}

const BATCH = 500;

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table clients add column search_text text collate "C" not null default ''`.execute(db);
  } else {
    await db.schema.alterTable('clients').addColumn('search_text', 'text', (c) => c.notNull().defaultTo('')).execute();
  }
  let after = '';
  for (;;) {
    const rows: { id: string; name: string; email: string }[] = await db
      .selectFrom('clients')
      .select(['id', 'name', 'email'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    for (const row of rows) {
      await db.updateTable('clients').set({ search_text: `${normalize(row.name)}\n${normalize(row.email)}` }).where('id', '=', row.id).execute();
    }
    if (rows.length < BATCH) break;
    after = rows.at(-1)!.id;
  }
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
