import { sql } from 'kysely';
import type { Db } from '../db/create-db.js';
import { iso } from '../domain/instants.js';
import { bookingView } from './views.js';
import { offsetOf, offsetPage } from './offset-cursor.js';

export const BOOKINGS_PAGE_DEFAULT = 50;

export interface BookingFilter {
  practiceId: string;
  clientId?: string;
  from?: string;
  to?: string;
  status?: string;
  /** Sessions not yet ended first (soonest first), then past ones (latest first). */
  upcomingFirst?: boolean;
  now: Date;
}

/** A page of bookings; the cursor is an opaque offset (booking lists are short and ordered by time, not by id). */
export async function bookingsPage(db: Db, filter: BookingFilter, page: { limit?: number | undefined; cursor?: string | undefined }) {
  const limit = page.limit ?? BOOKINGS_PAGE_DEFAULT;
  const offset = offsetOf(page.cursor);
  let query = db.kysely
    .selectFrom('bookings as b')
    .innerJoin('services as s', 's.id', 'b.service_id')
    .selectAll('b')
    .select('s.name as service_name')
    .where('b.practice_id', '=', filter.practiceId);
  if (filter.clientId) query = query.where('b.client_id', '=', filter.clientId);
  if (filter.from) query = query.where('b.end_at', '>', iso(new Date(filter.from)));
  if (filter.to) query = query.where('b.start_at', '<', iso(new Date(filter.to)));
  if (filter.status) query = query.where('b.status', '=', filter.status as 'confirmed');
  if (filter.upcomingFirst) {
    const now = iso(filter.now);
    query = query
      .orderBy(sql`case when b.end_at >= ${now} then 0 else 1 end`)
      .orderBy(sql`case when b.end_at >= ${now} then b.start_at end`, 'asc')
      .orderBy('b.start_at', 'desc');
  } else {
    query = query.orderBy('b.start_at', 'asc');
  }
  const rows = await query.orderBy('b.id').limit(limit + 1).offset(offset).execute();
  const pageRows = offsetPage(rows, offset, limit);
  return { items: pageRows.items.map((r) => bookingView(r, r.service_name)), nextCursor: pageRows.nextCursor };
}
