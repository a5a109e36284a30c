import type { Db } from '../db/create-db.js';
import { listSlots, SLOT_QUERY_DAYS_MAX, type Slot } from '../domain/slots.js';
import { parseEpochDay, wallClockInstant, zoneOffsets } from '../domain/wall-clock.js';
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
  const { first, last } = dateRange(input.from, input.to);
  const practice = await practiceBySlug(db, input.slug);
  const service = await activeService(db.kysely, practice.id, input.serviceId);
  const zone = zoneOffsets(practice.time_zone);
  // From the first day's midnight to the last instant before the day after the last one, local time.
  const fromMs = wallClockInstant(first, 0, zone, 'start');
  const toMs = wallClockInstant(last + 1, 0, zone, 'start') - 1;
  const query = await slotQueryFor(db.kysely, practice, service, { fromMs, toMs }, now);
  return { timeZone: practice.time_zone, slots: listSlots({ ...query, fromDate: input.from, toDate: input.to }) };
}

/** Both are calendar dates, `to` not before `from`, at most SLOT_QUERY_DAYS_MAX days inclusive. */
function dateRange(fromDate: string, toDate: string): { first: number; last: number } {
  const first = parseEpochDay(fromDate);
  const last = parseEpochDay(toDate);
  if (first === null) throw validation('querystring:/from', 'is not a calendar date');
  if (last === null) throw validation('querystring:/to', 'is not a calendar date');
  if (last < first) throw validation('querystring:/to', 'is before from');
  if (last - first + 1 > SLOT_QUERY_DAYS_MAX) throw validation('querystring:/to', `is more than ${SLOT_QUERY_DAYS_MAX} days after from`);
  return { first, last };
}
