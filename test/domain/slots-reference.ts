/**
 * THE REFERENCE: the slot engine as it was before it was made fast (commit c50407c), kept verbatim
 * so that a property test can prove the fast engine in src/domain/slots.ts offers exactly the same
 * slots on random calendars, zones and DST days. Do not optimise it.
 *
 * Bookable slots: availability (wall clock, practice time zone) minus the calendar.
 * Pure: `now` is a parameter; instants are epoch milliseconds.
 */
import { DateTime } from 'luxon';
import { assert } from '../../src/domain/errors.js';

/** Longest date range one query may span (inclusive days); the HTTP layer rejects more. */
export const SLOT_QUERY_DAYS_MAX = 62;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface TimeRange { start: string; end: string }
export interface WeeklyHours extends TimeRange { weekday: number }
export interface DateOverride { date: string; intervals: TimeRange[] }
export interface Availability { weekly: WeeklyHours[]; overrides: DateOverride[] }
export interface SlotRules {
  durationMinutes: number; bufferBeforeMinutes: number; bufferAfterMinutes: number;
  minNoticeMinutes: number; maxAdvanceDays: number; slotStepMinutes: number; capacity: number;
}
/**
 * Booking statuses whose time stays taken in the calendar: the slot engine is given every booking
 * in one of these, and verify checks that no two of them overlap.
 */
export const OCCUPYING_STATUSES = ['confirmed', 'pending_payment', 'completed', 'no_show'] as const;

/** A booking already in the calendar (any service, any of OCCUPYING_STATUSES). */
export interface BusyBooking { serviceId: string; start: number; end: number; bufferBeforeMinutes: number; bufferAfterMinutes: number }
/**
 * An offered start and the session a seat there gets: [start, end) with these buffers. A start that
 * already has seats keeps their shape (see `seatGroups`); any other gets the rules' duration and buffers.
 */
export interface Slot { start: number; end: number; remaining: number; bufferBeforeMinutes: number; bufferAfterMinutes: number }
export interface SlotQuery {
  timeZone: string;
  availability: Availability;
  serviceId: string;
  rules: SlotRules;
  bookings: BusyBooking[];
  blocks?: { start: number; end: number }[];
  fromDate: string;
  toDate: string;
  now: number;
}
export interface Instants { start: number; end: number }

/** 'YYYY-MM-DD' of the instant in the zone. */
export function localDate(instant: number, timeZone: string): string {
  const iso = DateTime.fromMillis(instant, { zone: timeZone }).toISODate();
  assert(iso !== null, `invalid instant or time zone: ${instant} ${timeZone}`);
  return iso;
}

function calendarDate(date: string): DateTime {
  // Calendar arithmetic only (weekday, next day): UTC avoids any DST effect.
  const dt = DateTime.fromISO(date, { zone: 'utc' });
  assert(dt.isValid, `invalid date: ${date}`);
  return dt;
}

/**
 * The instant of wall-clock `time` ('HH:MM', '24:00') on `date` in `zone`, as an interval boundary.
 *
 * DST decisions, so that an interval always covers all the wall-clock time the practitioner wrote:
 * - '24:00' is the first instant of the next day, even where midnight happens twice (Havana).
 * - A time in a spring-forward gap (does not exist) becomes the first instant after the gap
 *   (Berlin 2026-03-29 02:30 -> 03:00 CEST). Luxon would shift it by the gap length (03:30).
 * - An ambiguous time (fall back, happens twice) is the EARLIER instant as a start and the LATER
 *   instant as an end. Luxon alone always picks the later offset.
 *   Except an end at exactly the first repeated minute (Los Angeles 2026-11-01 01:00, where 02:00
 *   PDT falls back to 01:00 PST): the clock never goes below that time again, so the repeated
 *   hour lies after the hours written and the end is the EARLIER instant (01:00 PDT), as for
 *   '24:00' in Havana. An end is the instant from which the wall clock stays at or past it.
 */
function wallClockInstant(date: string, time: string, zone: string, edge: 'start' | 'end'): number {
  if (time === '24:00') {
    const next = calendarDate(date).plus({ days: 1 }).toISODate();
    assert(next !== null, `invalid date: ${date}`);
    return wallClockInstant(next, '00:00', zone, 'start');
  }
  const wanted = DateTime.fromISO(`${date}T${time}`, { zone: 'utc' });
  assert(wanted.isValid && /^\d\d:\d\d$/.test(time), `invalid wall clock: ${date} ${time}`);
  const { year, month, day, hour, minute } = wanted;
  const dt = DateTime.fromObject({ year, month, day, hour, minute }, { zone });
  assert(dt.isValid, `invalid time zone: ${zone}`);

  if (dt.hour !== hour || dt.minute !== minute || dt.day !== day) {
    // In a gap, Luxon moved forward by (wall it chose - wall wanted): the transition lies within
    // that many milliseconds before dt. Find the first instant carrying dt's (post-gap) offset.
    const shift = dt.setZone('utc', { keepLocalTime: true }).toMillis() - wanted.toMillis();
    let lo = dt.toMillis() - shift;
    let hi = dt.toMillis();
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (dt.zone.offset(mid) === dt.offset) hi = mid;
      else lo = mid;
    }
    return hi;
  }
  const candidates = dt.getPossibleOffsets().map((d) => d.toMillis());
  const earlier = Math.min(...candidates);
  const later = Math.max(...candidates);
  if (edge === 'start' || later === earlier) return earlier;
  // The later instant only if the clock fell back BELOW the time in between, i.e. unless the
  // fall-back happens exactly at `later` (the offset changes there).
  return dt.zone.offset(later - 1) === dt.zone.offset(later) ? later : earlier;
}

/** The availability intervals of a local date as instants: the override if any, else the weekly hours. */
export function availabilityOn(date: string, availability: Availability, timeZone: string): Instants[] {
  const override = availability.overrides.find((o) => o.date === date);
  const weekday = calendarDate(date).weekday;
  const ranges = override ? override.intervals : availability.weekly.filter((w) => w.weekday === weekday);
  return ranges
    .map((r) => ({
      start: wallClockInstant(date, r.start, timeZone, 'start'),
      end: wallClockInstant(date, r.end, timeZone, 'end'),
    }))
    .filter((r) => r.start < r.end); // e.g. an interval entirely inside a DST gap
}

/**
 * The calendar as the set of FORBIDDEN candidate starts: each busy item forbids an open interval
 * of starts. Counting, by binary search, how many intervals contain a start makes each check
 * O(log n) after one sort, whatever the number of bookings.
 */
class Forbidden {
  private readonly los: number[] = [];
  private readonly his: number[] = [];

  /** Forbids every start s with lo < s < hi. */
  add(lo: number, hi: number): void {
    if (lo >= hi) return;
    this.los.push(lo);
    this.his.push(hi);
  }

  seal(): void {
    this.los.sort((a, b) => a - b);
    this.his.sort((a, b) => a - b);
  }

  /** No interval contains s: #{lo < s} - #{hi <= s} = 0, since every hi <= s has its lo < s. */
  allows(s: number): boolean {
    return countBelow(this.los, s, false) === countBelow(this.his, s, true);
  }
}

/** How many values of the ascending array are < x (or <= x when inclusive). */
function countBelow(sorted: number[], x: number, inclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as number;
    if (v < x || (inclusive && v === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A session's length and buffers, in milliseconds. */
interface Shape { lengthMs: number; beforeMs: number; afterMs: number }

function shapeOf(rules: SlotRules): Shape {
  return { lengthMs: rules.durationMinutes * MINUTE_MS, beforeMs: rules.bufferBeforeMinutes * MINUTE_MS, afterMs: rules.bufferAfterMinutes * MINUTE_MS };
}

/** The starts forbidden to a session of this shape by the calendar (bookings of any service, imported blocks). */
function forbiddenStarts(q: Omit<SlotQuery, 'fromDate' | 'toDate'>, shape: Shape): Forbidden {
  const { lengthMs: duration, beforeMs: before, afterMs: after } = shape;
  const forbidden = new Forbidden();
  for (const b of q.bookings) {
    const bBefore = b.bufferBeforeMinutes * MINUTE_MS;
    const bAfter = b.bufferAfterMinutes * MINUTE_MS;
    // Candidate [s, s+duration) with its buffers vs b's session, and its session vs b's buffers
    // (this also covers session vs session). Buffers against buffers are allowed.
    const ranges: [number, number][] = [
      [b.start - duration - after, b.end + before],
      [b.start - bBefore - duration, b.end + bAfter],
    ];
    for (const [lo, hi] of ranges) {
      if (b.serviceId === q.serviceId) {
        // The same service at the same start shares seats: punch out exactly that start.
        forbidden.add(lo, Math.min(hi, b.start));
        forbidden.add(Math.max(lo, b.start), hi);
      } else {
        forbidden.add(lo, hi);
      }
    }
  }
  for (const k of q.blocks ?? []) forbidden.add(k.start - duration - after, k.end + before);
  forbidden.seal();
  return forbidden;
}

/**
 * The seats already taken at each start of this service, and the shape they share. Seats of one
 * session end together: a seat joining a start that has seats gets their end and buffers, whatever
 * the service's duration or buffers say now (they may have changed since). Should seats of one
 * start differ (data written before this rule), the longest end and buffers stand for all.
 */
function seatGroups(q: Omit<SlotQuery, 'fromDate' | 'toDate'>): Map<number, { seats: number; shape: Shape }> {
  const groups = new Map<number, { seats: number; shape: Shape }>();
  for (const b of q.bookings) {
    if (b.serviceId !== q.serviceId) continue;
    assert(b.end > b.start, `a booking ends after it starts: ${b.start}..${b.end}`);
    const shape = { lengthMs: b.end - b.start, beforeMs: b.bufferBeforeMinutes * MINUTE_MS, afterMs: b.bufferAfterMinutes * MINUTE_MS };
    const group = groups.get(b.start);
    if (!group) {
      groups.set(b.start, { seats: 1, shape });
      continue;
    }
    group.seats += 1;
    group.shape = {
      lengthMs: Math.max(group.shape.lengthMs, shape.lengthMs),
      beforeMs: Math.max(group.shape.beforeMs, shape.beforeMs),
      afterMs: Math.max(group.shape.afterMs, shape.afterMs),
    };
  }
  return groups;
}

function* datesFromTo(fromDate: string, toDate: string): Generator<string> {
  const from = calendarDate(fromDate);
  const to = calendarDate(toDate);
  assert(from <= to, `fromDate ${fromDate} is after toDate ${toDate}`);
  const days = Math.round(to.diff(from, 'days').days) + 1;
  assert(days <= SLOT_QUERY_DAYS_MAX, `slot query spans ${days} days (max ${SLOT_QUERY_DAYS_MAX})`);
  for (let i = 0; i < days; i++) yield from.plus({ days: i }).toISODate() as string;
}

/** Offered slots of every local date from fromDate to toDate (inclusive), sorted by start. */
export function listSlots(q: SlotQuery): Slot[] {
  const { rules, now } = q;
  assert(rules.durationMinutes > 0 && rules.slotStepMinutes > 0, 'duration and step must be positive');
  const step = rules.slotStepMinutes * MINUTE_MS;
  const earliest = now + Math.max(0, rules.minNoticeMinutes) * MINUTE_MS;
  const latest = now + rules.maxAdvanceDays * DAY_MS;
  const fresh = shapeOf(rules);
  const groups = seatGroups(q);
  // One forbidden set per shape: the rules' and, after a catalog edit, the few shapes of older seats.
  const calendars = new Map<string, Forbidden>();
  const allows = (start: number, shape: Shape) => {
    const key = `${shape.lengthMs}/${shape.beforeMs}/${shape.afterMs}`;
    let forbidden = calendars.get(key);
    if (!forbidden) calendars.set(key, (forbidden = forbiddenStarts(q, shape)));
    return forbidden.allows(start);
  };
  const shortest = Math.min(fresh.lengthMs, ...[...groups.values()].map((g) => g.shape.lengthMs));

  const slots: Slot[] = [];
  for (const date of datesFromTo(q.fromDate, q.toDate)) {
    for (const interval of availabilityOn(date, q.availability, q.timeZone)) {
      const first = Math.max(0, Math.ceil((earliest - interval.start) / step));
      const last = Math.min(interval.end - shortest, latest);
      for (let start = interval.start + first * step; start <= last; start += step) {
        const group = groups.get(start);
        const shape = group?.shape ?? fresh;
        const end = start + shape.lengthMs;
        const remaining = rules.capacity - (group?.seats ?? 0);
        if (end <= interval.end && remaining > 0 && allows(start, shape)) {
          slots.push({ start, end, remaining, bufferBeforeMinutes: shape.beforeMs / MINUTE_MS, bufferAfterMinutes: shape.afterMs / MINUTE_MS });
        }
      }
    }
  }
  // Overlapping intervals of one day may produce the same start twice.
  slots.sort((a, b) => a.start - b.start);
  return slots.filter((s, i) => i === 0 || (slots[i - 1] as Slot).start !== s.start);
}

/** The offered slot starting exactly at `start`, or null. Computes only the local day of `start`. */
export function findSlot(q: Omit<SlotQuery, 'fromDate' | 'toDate'>, start: number): Slot | null {
  const date = localDate(start, q.timeZone);
  return listSlots({ ...q, fromDate: date, toDate: date }).find((s) => s.start === start) ?? null;
}
