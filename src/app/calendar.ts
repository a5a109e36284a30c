import type { Kysely } from 'kysely';
import type { Trx } from '../db/create-db.js';
import type { PracticeRow, Schema, ServiceRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso, MINUTE_MS } from '../domain/instants.js';
import { BUFFER_MINUTES_MAX, DURATION_MINUTES_MAX, OCCUPYING_STATUSES, type Availability, type BusyBooking, type SlotQuery, type SlotRules } from '../domain/slots.js';
import { loadBlocks } from './external-calendars.js';

type Reader = Kysely<Schema> | Trx;

/** Longest buffer: bookings this far outside a range can still reach into it. */
const BUFFER_REACH_MS = BUFFER_MINUTES_MAX * MINUTE_MS;
/** Longest session: a booking that ends in a range started at most this long before its end. */
export const SESSION_LENGTH_MAX_MS = DURATION_MINUTES_MAX * MINUTE_MS;

export function slotRules(service: ServiceRow): SlotRules {
  return {
    durationMinutes: service.duration_minutes,
    bufferBeforeMinutes: service.buffer_before_minutes,
    bufferAfterMinutes: service.buffer_after_minutes,
    minNoticeMinutes: service.min_notice_minutes,
    maxAdvanceDays: service.max_advance_days,
    slotStepMinutes: service.slot_step_minutes,
    capacity: service.capacity,
  };
}

export async function loadAvailability(db: Reader, practiceId: string): Promise<Availability> {
  const row = await db.selectFrom('availability').selectAll().where('practice_id', '=', practiceId).executeTakeFirst();
  return { weekly: JSON.parse(row?.weekly_json ?? '[]'), overrides: JSON.parse(row?.overrides_json ?? '[]') };
}

/**
 * The bookings that occupy time between two instants (buffers included), optionally leaving one out.
 * The lower bound on `start_at` is implied by the others (no session is longer than the longest
 * duration) but lets the index stop at the range: the cost follows the bookings near the range,
 * not the practice's whole history.
 */
export async function loadBusy(db: Reader, practiceId: string, fromMs: number, toMs: number, exceptBookingId?: string): Promise<BusyBooking[]> {
  let query = db
    .selectFrom('bookings')
    .select(['service_id', 'start_at', 'end_at', 'buffer_before_minutes', 'buffer_after_minutes'])
    .where('practice_id', '=', practiceId)
    .where('status', 'in', [...OCCUPYING_STATUSES])
    .where('start_at', '<', iso(toMs + BUFFER_REACH_MS))
    .where('start_at', '>', iso(fromMs - BUFFER_REACH_MS - SESSION_LENGTH_MAX_MS))
    .where('end_at', '>', iso(fromMs - BUFFER_REACH_MS));
  if (exceptBookingId) query = query.where('id', '!=', exceptBookingId);
  const rows = await query.execute();
  return rows.map((b) => ({
    serviceId: b.service_id,
    start: Date.parse(b.start_at),
    end: Date.parse(b.end_at),
    bufferBeforeMinutes: b.buffer_before_minutes,
    bufferAfterMinutes: b.buffer_after_minutes,
  }));
}

export async function activeService(db: Reader, practiceId: string, serviceId: string): Promise<ServiceRow> {
  const service = await db.selectFrom('services').selectAll().where('practice_id', '=', practiceId).where('id', '=', serviceId).executeTakeFirst();
  if (!service || service.active !== 1) throw new DomainError('not_found', 'no such service');
  return service;
}

/** Everything the slot engine needs for one service over [fromMs, toMs]. */
export async function slotQueryFor(
  db: Reader,
  practice: PracticeRow,
  service: ServiceRow,
  range: { fromMs: number; toMs: number; exceptBookingId?: string },
  now: Date,
): Promise<Omit<SlotQuery, 'fromDate' | 'toDate'>> {
  return {
    timeZone: practice.time_zone,
    availability: await loadAvailability(db, practice.id),
    serviceId: service.id,
    rules: slotRules(service),
    bookings: await loadBusy(db, practice.id, range.fromMs, range.toMs, range.exceptBookingId),
    // Busy times imported from the practitioner's other calendars.
    blocks: await loadBlocks(db, practice.id, range.fromMs, range.toMs),
    now: now.getTime(),
  };
}
