import type { Db } from '../db/create-db.js';
import { iso } from '../domain/instants.js';
import { bookingFeed } from '../mail/ics.js';
import { newSecret, sha256 } from '../lib/ids.js';

/** A feed lists at most this many upcoming sessions. */
export const FEED_EVENTS_MAX = 2_000;

/** The secret feed URL of a practice: the token is in the path, so calendar apps can subscribe without signing in. */
export function feedUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/api/v1/calendar-feed/${token}.ics`;
}

/** Creates the practice's feed, or replaces it: the old URL stops working at once. Only the token's hash is kept. */
export async function rotateFeed(db: Db, practiceId: string, now: Date): Promise<{ token: string; createdAt: string }> {
  const token = newSecret('tbf');
  const createdAt = iso(now);
  await db.write((trx) =>
    trx
      .insertInto('calendar_feeds')
      .values({ practice_id: practiceId, token_hash: sha256(token), created_at: createdAt })
      .onConflict((oc) => oc.column('practice_id').doUpdateSet({ token_hash: sha256(token), created_at: createdAt }))
      .execute(),
  );
  return { token, createdAt };
}

/** Revokes the feed; revoking one that does not exist changes nothing. */
export async function revokeFeed(db: Db, practiceId: string): Promise<void> {
  await db.write((trx) => trx.deleteFrom('calendar_feeds').where('practice_id', '=', practiceId).execute());
}

/** The feed's iCalendar text (upcoming confirmed sessions), or null for an unknown or revoked token. */
export async function renderFeed(db: Db, token: string, now: Date): Promise<string | null> {
  const feed = await db.kysely.selectFrom('calendar_feeds').select('practice_id').where('token_hash', '=', sha256(token)).executeTakeFirst();
  if (!feed) return null;
  const practice = await db.kysely.selectFrom('practices').selectAll().where('id', '=', feed.practice_id).executeTakeFirstOrThrow();
  const bookings = await db.kysely
    .selectFrom('bookings as b')
    .innerJoin('services as s', 's.id', 'b.service_id')
    .innerJoin('clients as c', 'c.id', 'b.client_id')
    .select(['b.id', 'b.sequence', 'b.start_at', 'b.end_at', 's.name as service_name', 'c.name as client_name', 'c.email as client_email'])
    .where('b.practice_id', '=', practice.id)
    .where('b.status', '=', 'confirmed')
    .where('b.end_at', '>', iso(now))
    .orderBy('b.start_at')
    .limit(FEED_EVENTS_MAX)
    .execute();
  return bookingFeed(
    practice.name,
    practice.time_zone,
    bookings.map((b) => ({
      bookingId: b.id,
      sequence: b.sequence,
      startMs: Date.parse(b.start_at),
      endMs: Date.parse(b.end_at),
      timeZone: practice.time_zone,
      summary: `${b.service_name}: ${b.client_name}`,
      description: `${b.service_name} with ${b.client_name} <${b.client_email}>`,
      organizer: null,
      attendees: [],
    })),
    now,
  );
}
