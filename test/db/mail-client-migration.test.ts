import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Db } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { bookingInvite } from '../../src/mail/ics.js';
import { DIALECTS, openTestDbAt } from '../support/databases.js';

const AT = '2026-03-02T08:00:00.000Z';
const BEFORE = '2026-11-25-04-cancellation-outcome';

for (const dialect of DIALECTS) {
  describe(`mail_outbox.client_id backfill [${dialect}]`, () => {
    let db: Db;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ db, drop } = await openTestDbAt(dialect, BEFORE));
    });
    afterAll(() => drop());

    it('derives each old mail’s client from its address or its invite’s UID, and finishes erasures done before it', async () => {
      const k = db.kysely as unknown as Kysely<any>;
      await k.insertInto('practices').values({ id: 'p', name: 'Studio', slug: 'studio', time_zone: 'Europe/London', currency: 'USD', policy_json: '{}', created_at: AT }).execute();
      await k.insertInto('users').values({ id: 'u', practice_id: 'p', email: 'dana@example.com', name: 'Dana', password_hash: 'x', created_at: AT }).execute();
      await k
        .insertInto('clients')
        .values([
          { id: 'ca', practice_id: 'p', email: 'ann@example.com', name: 'Ann Able', created_at: AT },
          { id: 'cb', practice_id: 'p', email: 'erased-cb@erased.invalid', name: 'Erased client', created_at: AT },
        ])
        .execute();
      await k
        .insertInto('services')
        .values({ id: 's', practice_id: 'p', name: 'Session', description: '', duration_minutes: 60, credit_cost: 1, price_amount: null, buffer_before_minutes: 0, buffer_after_minutes: 0, min_notice_minutes: 0, max_advance_days: 60, slot_step_minutes: 60, capacity: 1, policy_json: null, active: 1, created_at: AT })
        .execute();
      const booking = (id: string, clientId: string, cancelReason: string) => ({
        id, practice_id: 'p', client_id: clientId, service_id: 's', start_at: '2026-03-03T09:00:00.000Z', end_at: '2026-03-03T10:00:00.000Z',
        buffer_before_minutes: 0, buffer_after_minutes: 0, status: 'cancelled', payment_kind: 'free', credits: 0, sequence: 0, cancel_reason: cancelReason, created_at: AT, updated_at: AT,
      });
      await k.insertInto('bookings').values([booking('ba', 'ca', 'Ann is away'), booking('bb', 'cb', 'Bea Bright is ill')]).execute();
      const invite = (bookingId: string, attendee: string) =>
        bookingInvite(
          'REQUEST',
          { bookingId, sequence: 0, startMs: Date.parse('2026-03-03T09:00:00.000Z'), endMs: Date.parse('2026-03-03T10:00:00.000Z'), timeZone: 'Europe/London', summary: `Session: ${attendee}`, description: 'Session with Studio', organizer: { name: 'Studio', email: 'dana@example.com' }, attendees: [{ name: attendee, email: 'someone-with-a-long-address-that-folds@example.com' }] },
          new Date(AT),
        );
      const mail = (id: string, to: string, subject: string, ics: string | null) => ({
        id, practice_id: 'p', message_id: `<${id}@test>`, to_address: to, subject, text: subject, html: null, ics, ics_method: ics ? 'REQUEST' : null,
        status: 'kept', attempts: 0, next_attempt_at: AT, last_error: null, created_at: AT, sent_at: null,
      });
      await k
        .insertInto('mail_outbox')
        .values([
          mail('m1', 'ann@example.com', 'Booked: your session', invite('ba', 'Ann Able')),
          mail('m2', 'dana@example.com', 'New booking: Ann Able', invite('ba', 'Ann Able')),
          mail('m3', 'dana@example.com', 'Reset your Tallybook password', null),
          mail('m4', 'dana@example.com', 'New booking: Bea Bright', invite('bb', 'Bea Bright')),
          mail('m5', 'erased-cb@erased.invalid', '(erased)', null),
          mail('m6', 'dana@example.com', 'An invite for no booking we know', invite('gone', 'Nobody')),
        ])
        .execute();

      await migrateToLatest(db);

      const rows = await db.kysely.selectFrom('mail_outbox').select(['id', 'client_id', 'subject', 'ics']).orderBy('id').execute();
      expect(rows.map((r) => [r.id, r.client_id])).toEqual([['m1', 'ca'], ['m2', 'ca'], ['m3', null], ['m4', 'cb'], ['m5', 'cb'], ['m6', null]]);
      expect(rows.find((r) => r.id === 'm2')).toMatchObject({ subject: 'New booking: Ann Able', ics: expect.stringContaining('Ann Able') });
      expect(rows.find((r) => r.id === 'm4')).toMatchObject({ subject: '(erased)', ics: null });
      const reasons = await db.kysely.selectFrom('bookings').select(['id', 'cancel_reason']).orderBy('id').execute();
      expect(reasons).toEqual([{ id: 'ba', cancel_reason: 'Ann is away' }, { id: 'bb', cancel_reason: null }]);
    });
  });
}
