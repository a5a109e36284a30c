import { DateTime } from 'luxon';
import type { Db } from '../db/create-db.js';
import { listSlots, SLOT_QUERY_DAYS_MAX, type Slot } from '../domain/slots.js';
import { activeService, slotQueryFor } from './calendar.js';
import { practiceBySlug } from './client-sign-in.js';
import { validation } from './field-errors.js';

export interface SlotsRequest {
  slug: string;
  serviceId: string;
  /** Local calendar dates (YYYY-MM-DD) in the practice's time zone, both included. */
  from: string;
  to: string;
}

/** The bookable slots of a practice's active service between two of its local dates, and the zone they are local to. */
export async function listServiceSlots(db: Db, input: SlotsRequest, now: Date): Promise<{ timeZone: string; slots: Slot[] }> {
  assertDateRange(input.from, input.to);
  const practice = await practiceBySlug(db, input.slug);
  const service = await activeService(db.kysely, practice.id, input.serviceId);
  const fromMs = DateTime.fromISO(input.from, { zone: practice.time_zone }).startOf('day').toMillis();
  const toMs = DateTime.fromISO(input.to, { zone: practice.time_zone }).endOf('day').toMillis();
  const query = await slotQueryFor(db.kysely, practice, service, { fromMs, toMs }, now);
  return { timeZone: practice.time_zone, slots: listSlots({ ...query, fromDate: input.from, toDate: input.to }) };
}

/** Both are calendar dates, `to` not before `from`, at most SLOT_QUERY_DAYS_MAX days inclusive. */
function assertDateRange(fromDate: string, toDate: string): void {
  const from = DateTime.fromISO(fromDate);
  const to = DateTime.fromISO(toDate);
  if (!from.isValid) throw validation('querystring:/from', 'is not a calendar date');
  if (!to.isValid) throw validation('querystring:/to', 'is not a calendar date');
  if (to < from) throw validation('querystring:/to', 'is before from');
  if (to.diff(from, 'days').days + 1 > SLOT_QUERY_DAYS_MAX) throw validation('querystring:/to', `is more than ${SLOT_QUERY_DAYS_MAX} days after from`);
}
