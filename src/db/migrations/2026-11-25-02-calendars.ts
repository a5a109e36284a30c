import type { Kysely } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;

  // One secret feed URL per practice; only the sha256 of its token is kept.
  await s
    .createTable('calendar_feeds')
    .addColumn('practice_id', 'text', (c) => c.primaryKey().references('practices.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // The practitioner's other calendars (ICS URLs) whose events block slots.
  await s
    .createTable('external_calendars')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practices.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('next_fetch_at', 'text', (c) => c.notNull())
    .addColumn('last_fetched_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('busy_count', 'integer', (c) => c.notNull())
    .addUniqueConstraint('external_calendars_practice_url', ['practice_id', 'url'])
    .execute();
  await s.createIndex('external_calendars_due').on('external_calendars').columns(['next_fetch_at']).execute();

  // Busy intervals expanded from those calendars (recurrences included), replaced on each fetch.
  await s
    .createTable('external_busy')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practices.id'))
    .addColumn('calendar_id', 'text', (c) => c.notNull().references('external_calendars.id'))
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('end_at', 'text', (c) => c.notNull())
    .execute();
  await s.createIndex('external_busy_calendar').on('external_busy').columns(['practice_id', 'start_at']).execute();
  await s.createIndex('external_busy_source').on('external_busy').columns(['calendar_id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
