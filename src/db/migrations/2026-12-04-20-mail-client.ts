import type { Kysely } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited once landed.
//
// Mail about a client names them whoever it goes to (the practitioner's copy of "New booking: …"
// and its invite's ATTENDEE), so erasing a client must find every such row: each row now records
// the client it is about. Existing rows get it where it can be derived: mail to the client's own
// address, and any mail whose invite carries a booking's UID. Rows of clients erased before this
// migration (their email is the `erased-<id>@erased.invalid` tombstone) are blanked now, as an
// erasure today would blank them, and their bookings' cancellation reasons are dropped.

const BATCH_ROWS = 500;
/** `bookingUid()` at the time of writing: `UID:<booking id>@tallybook`, on a line of its own once unfolded. */
const UID_LINE = /^UID:(.+)@tallybook\r?$/m;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('mail_outbox').addColumn('client_id', 'text', (c) => c.references('clients.id')).execute();
  await db.schema.createIndex('mail_outbox_client').on('mail_outbox').columns(['client_id']).execute();

  await db
    .updateTable('mail_outbox')
    .set((eb) => ({
      client_id: eb
        .selectFrom('clients')
        .select('clients.id')
        .whereRef('clients.practice_id', '=', 'mail_outbox.practice_id')
        .whereRef('clients.email', '=', 'mail_outbox.to_address')
        .limit(1),
    }))
    .where('practice_id', 'is not', null)
    .execute();

  // Invites: the booking's UID names the booking, and so its client. Read in pages: an outbox can be large.
  let after = '';
  for (;;) {
    const rows: { id: string; ics: string }[] = await db
      .selectFrom('mail_outbox')
      .select(['id', 'ics'])
      .where('client_id', 'is', null)
      .where('ics', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH_ROWS)
      .execute();
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;
    for (const row of rows) {
      const bookingId = UID_LINE.exec(row.ics.replace(/\r?\n[ \t]/g, ''))?.[1];
      if (!bookingId) continue;
      await db
        .updateTable('mail_outbox')
        .set((eb) => ({ client_id: eb.selectFrom('bookings').select('bookings.client_id').where('bookings.id', '=', bookingId) }))
        .where('id', '=', row.id)
        .execute();
    }
  }

  const erasedClients = db.selectFrom('clients').select('id').where('email', 'like', 'erased-%@erased.invalid');
  await db
    .updateTable('mail_outbox')
    .set({ subject: '(erased)', text: '(erased)', html: null, ics: null, last_error: null })
    .where('client_id', 'in', erasedClients)
    .execute();
  await db.updateTable('bookings').set({ cancel_reason: null }).where('client_id', 'in', erasedClients).where('cancel_reason', 'is not', null).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
