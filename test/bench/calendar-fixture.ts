import { DateTime } from 'luxon';
import type { Db } from '../../src/db/create-db.js';
import type { BookingRow } from '../../src/db/schema.js';
import type { BusyBooking, SlotQuery } from '../../src/domain/slots.js';
import { DAY_MS, firstPlanDay, MAX_ADVANCE_DAYS, SESSION_MINUTES } from './booking-plan.js';
import { OPEN_EVERY_DAY, setUpPractice, api, type BenchPractice } from './practice.js';

/**
 * The calendars of the slot-engine, read-path and memory figures, in one SQLite database: one
 * practice per calendar size (Europe/London, open 07:00–21:00 every day, a 30-minute service every
 * 15 minutes, a second service with a 10-minute buffer after), bookings written straight into the
 * table, and a practice for the booking load whose history makes the database hold 100,000
 * bookings.
 */
export const TIME_ZONE = 'Europe/London';
export const LISTING_DAYS = 60;
export const TOTAL_BOOKINGS = 100_000;

export interface Scenario {
  name: string;
  bookings: number;
  /** Share of the bookings inside the listed 60 days. */
  insideShare: number;
}

export const SCENARIOS: Scenario[] = [
  { name: 'empty', bookings: 0, insideShare: 0 },
  { name: '2k-out', bookings: 2_000, insideShare: 0.05 },
  { name: '2k-in', bookings: 2_000, insideShare: 1 },
  { name: '20k-out', bookings: 20_000, insideShare: 0.05 },
  { name: '20k-in', bookings: 20_000, insideShare: 1 },
];

export interface Calendar {
  scenario: Scenario;
  practice: BenchPractice;
  otherServiceId: string;
  /** The same bookings as the engine sees them, for listSlots alone. */
  busy: BusyBooking[];
}

export interface Fixture {
  calendars: Calendar[];
  /** The practice the memory figure books into (UTC, the booking plan's service). */
  load: BenchPractice;
  /** The listed range: from tomorrow (London) for 60 days. */
  fromDate: string;
  toDate: string;
  now: number;
}

export const SERVICE = { name: 'Session', durationMinutes: 30, slotStepMinutes: 15, maxAdvanceDays: 90 };

export function listingRange(nowMs: number, days: number): { fromDate: string; toDate: string } {
  const from = DateTime.fromMillis(nowMs, { zone: TIME_ZONE }).plus({ days: 1 }).startOf('day');
  return { fromDate: from.toISODate()!, toDate: from.plus({ days: days - 1 }).toISODate()! };
}

export async function buildFixture(base: string, db: Db): Promise<Fixture> {
  const now = Date.now();
  const { fromDate, toDate } = listingRange(now, LISTING_DAYS);
  const rangeStart = DateTime.fromISO(fromDate, { zone: TIME_ZONE }).toMillis();
  const random = seeded(7);
  const calendars: Calendar[] = [];
  let written = 0;
  for (const scenario of SCENARIOS) {
    const practice = await setUpPractice(base, db, { slug: `cal-${scenario.name}`, timeZone: TIME_ZONE, service: SERVICE, clientCount: 1, grantsPerClient: 1 });
    const otherServiceId = (await api(base, 'POST', '/services', { name: 'Other', durationMinutes: 30, bufferAfterMinutes: 10 }, { bearer: practice.practitionerToken })).body.id as string;
    const client = practice.clients[0]!;
    const rows: BookingRow[] = [];
    for (let i = 0; i < scenario.bookings; i++) {
      // Inside: any 15-minute step of the listed days' opening hours. Outside: the year before them.
      const inside = random() < scenario.insideShare;
      const day = inside ? Math.floor(random() * LISTING_DAYS) : -1 - Math.floor(random() * 365);
      const local = DateTime.fromMillis(rangeStart + day * DAY_MS, { zone: TIME_ZONE }).startOf('day').plus({ hours: 7, minutes: 15 * Math.floor(random() * 54) });
      const start = local.toMillis();
      const other = random() < 0.5;
      rows.push(bookingRow(`${scenario.name}-${i}`, practice, client.id, other ? otherServiceId : practice.serviceId, start, start + 30 * 60_000, other ? 10 : 0, inside ? 'confirmed' : 'completed'));
    }
    await insertBookings(db, rows);
    written += rows.length;
    calendars.push({
      scenario,
      practice,
      otherServiceId,
      busy: rows.map((b) => ({ serviceId: b.service_id, start: Date.parse(b.start_at), end: Date.parse(b.end_at), bufferBeforeMinutes: 0, bufferAfterMinutes: b.buffer_after_minutes })),
    });
  }

  const load = await setUpPractice(base, db, { slug: 'mem', timeZone: 'UTC', service: { name: 'Session', durationMinutes: SESSION_MINUTES, maxAdvanceDays: MAX_ADVANCE_DAYS }, clientCount: 32, grantsPerClient: 1 });
  // History: past sessions of the load practice, so that the database holds TOTAL_BOOKINGS.
  const history: BookingRow[] = [];
  const firstDay = firstPlanDay(now);
  for (let i = 0; written + history.length < TOTAL_BOOKINGS; i++) {
    const start = firstDay - (3 + (i % 700)) * DAY_MS + (7 * 60 + 15 * Math.floor(i / 700)) * 60_000;
    history.push(bookingRow(`history-${i}`, load, load.clients[i % load.clients.length]!.id, load.serviceId, start, start + SESSION_MINUTES * 60_000, 0, 'completed'));
  }
  await insertBookings(db, history);
  return { calendars, load, fromDate, toDate, now };
}

/** The slot query listSlots gets for a calendar, with every booking of it (outside the range too). */
export function slotQuery(calendar: Calendar, range: { fromDate: string; toDate: string }, now: number): SlotQuery {
  return {
    timeZone: TIME_ZONE,
    availability: OPEN_EVERY_DAY,
    serviceId: calendar.practice.serviceId,
    rules: { durationMinutes: 30, bufferBeforeMinutes: 0, bufferAfterMinutes: 0, minNoticeMinutes: 0, maxAdvanceDays: 90, slotStepMinutes: 15, capacity: 1 },
    bookings: calendar.busy,
    blocks: [],
    fromDate: range.fromDate,
    toDate: range.toDate,
    now,
  };
}

function bookingRow(id: string, practice: BenchPractice, clientId: string, serviceId: string, start: number, end: number, afterMinutes: number, status: BookingRow['status']): BookingRow {
  const at = new Date().toISOString();
  return {
    id,
    practice_id: practice.practiceId,
    client_id: clientId,
    service_id: serviceId,
    start_at: new Date(start).toISOString(),
    end_at: new Date(end).toISOString(),
    buffer_before_minutes: 0,
    buffer_after_minutes: afterMinutes,
    status,
    payment_kind: 'free',
    credits: 0,
    sequence: 0,
    cancel_reason: null,
    created_at: at,
    updated_at: at,
  };
}

async function insertBookings(db: Db, rows: BookingRow[]): Promise<void> {
  // SQLite allows 32,766 parameters a statement: 15 columns × 1,000 rows stays under it.
  await db.write(async (trx) => {
    for (let i = 0; i < rows.length; i += 1_000) await trx.insertInto('bookings').values(rows.slice(i, i + 1_000)).execute();
  });
}

/** A fixed pseudo-random sequence: the same calendars in every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}
