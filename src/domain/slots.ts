/**
 * Bookable slots: availability (wall clock, practice time zone) minus the calendar.
 * Pure: `now` is a parameter; instants are epoch milliseconds.
 */
import { DateTime } from 'luxon';
import { assert } from './errors.js';
import { epochDay, isoWeekday, minutesOfDay, wallClockInstant, zoneOffsets, type ZoneOffsets } from './wall-clock.js';

/** Longest date range one query may span (inclusive days); the HTTP layer rejects more. */
export const SLOT_QUERY_DAYS_MAX = 62;
/** Shortest and longest session a service may have, and its longest buffer on either side. */
export const DURATION_MINUTES_MIN = 5;
export const DURATION_MINUTES_MAX = 720;
export const BUFFER_MINUTES_MAX = 720;

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

/** Weekly hours and overrides with times as minutes after midnight and dates as days since 1970. */
interface DayPlan { weekly: Map<number, Minutes[]>; overrides: Map<number, Minutes[]> }
interface Minutes { start: number; end: number }

function dayPlan(availability: Availability): DayPlan {
  const minutes = (r: TimeRange): Minutes => ({ start: minutesOfDay(r.start), end: minutesOfDay(r.end) });
  const weekly = new Map<number, Minutes[]>();
  for (const w of availability.weekly) weekly.set(w.weekday, [...(weekly.get(w.weekday) ?? []), minutes(w)]);
  const overrides = new Map<number, Minutes[]>();
  for (const o of availability.overrides) {
    const day = epochDay(o.date);
    if (!overrides.has(day)) overrides.set(day, o.intervals.map(minutes)); // the first override of a date wins
  }
  return { weekly, overrides };
}

function intervalsOn(day: number, plan: DayPlan, zone: ZoneOffsets): Instants[] {
  const ranges = plan.overrides.get(day) ?? plan.weekly.get(isoWeekday(day)) ?? [];
  const intervals: Instants[] = [];
  for (const r of ranges) {
    const start = wallClockInstant(day, r.start, zone, 'start');
    const end = wallClockInstant(day, r.end, zone, 'end');
    if (start < end) intervals.push({ start, end }); // else e.g. an interval entirely inside a DST gap
  }
  return intervals;
}

/**
 * The calendar as the set of FORBIDDEN candidate starts: each busy item forbids an open interval
 * of starts. A start is allowed when as many intervals open before it as close at or before it;
 * both counts come from sorted typed arrays (a native numeric sort), and since candidates mostly
 * come in ascending order, each count resumes where the last one stopped: a listing costs one
 * sort plus one pass over slots and intervals.
 */
class Forbidden {
  private los: Float64Array;
  private his: Float64Array;
  private size = 0;
  private belowLo = 0;
  private atOrBelowHi = 0;

  /** Room for this many intervals at first; it doubles as needed. */
  constructor(capacity = 256) {
    this.los = new Float64Array(capacity);
    this.his = new Float64Array(capacity);
  }

  /** Forbids every start s with lo < s < hi. */
  add(lo: number, hi: number): void {
    if (lo >= hi) return;
    if (this.size === this.los.length) {
      const grow = (a: Float64Array) => { const b = new Float64Array(a.length * 2); b.set(a); return b; };
      this.los = grow(this.los);
      this.his = grow(this.his);
    }
    this.los[this.size] = lo;
    this.his[this.size] = hi;
    this.size += 1;
  }

  seal(): this {
    this.los = this.los.subarray(0, this.size).sort();
    this.his = this.his.subarray(0, this.size).sort();
    return this;
  }

  /** No interval contains s: #{lo < s} - #{hi <= s} = 0, since every hi <= s has its lo < s. */
  allows(s: number): boolean {
    this.belowLo = countTo(this.los, s, false, this.belowLo);
    this.atOrBelowHi = countTo(this.his, s, true, this.atOrBelowHi);
    return this.belowLo === this.atOrBelowHi;
  }
}

/**
 * How many values of the ascending array are < x (or <= x when inclusive), walking from a previous
 * count `from` (the answer for an earlier x, or any guess): forward or back one step at a time.
 */
function countTo(sorted: Float64Array, x: number, inclusive: boolean, from: number): number {
  const below = (v: number) => v < x || (inclusive && v === x);
  let n = from;
  while (n < sorted.length && below(sorted[n] as number)) n++;
  while (n > 0 && !below(sorted[n - 1] as number)) n--;
  return n;
}

/** A session's length and buffers, in milliseconds. */
interface Shape { lengthMs: number; beforeMs: number; afterMs: number }

function shapeOf(rules: SlotRules): Shape {
  return { lengthMs: rules.durationMinutes * MINUTE_MS, beforeMs: rules.bufferBeforeMinutes * MINUTE_MS, afterMs: rules.bufferAfterMinutes * MINUTE_MS };
}

/** Every candidate start lies inside it: busy times wholly outside cannot forbid any (see `candidateWindow`). */
interface Window { from: number; to: number }

/**
 * The starts forbidden to a session of this shape by the calendar (bookings of any service, imported
 * blocks). Busy times whose forbidden starts all lie outside the window are skipped before the sort,
 * so the cost follows the calendar near the listed days, whatever else the caller passed.
 */
function forbiddenStarts(q: Omit<SlotQuery, 'fromDate' | 'toDate'>, shape: Shape, window: Window): Forbidden {
  const { lengthMs: duration, beforeMs: before, afterMs: after } = shape;
  const forbidden = new Forbidden();
  for (const b of q.bookings) {
    // Candidate [s, s+duration) with its buffers must not meet b's session, nor its session b's
    // buffers (which covers session vs session too); buffers against buffers are allowed. Both
    // forbidden ranges contain (b.start - duration, b.end), so their union is one interval.
    const lo = b.start - duration - Math.max(after, b.bufferBeforeMinutes * MINUTE_MS);
    const hi = b.end + Math.max(before, b.bufferAfterMinutes * MINUTE_MS);
    if (hi <= window.from || lo >= window.to) continue;
    if (b.serviceId === q.serviceId) {
      // The same service at the same start shares seats: punch out exactly that start.
      forbidden.add(lo, Math.min(hi, b.start));
      forbidden.add(Math.max(lo, b.start), hi);
    } else {
      forbidden.add(lo, hi);
    }
  }
  for (const k of q.blocks ?? []) {
    const [lo, hi] = [k.start - duration - after, k.end + before];
    if (hi > window.from && lo < window.to) forbidden.add(lo, hi);
  }
  return forbidden.seal();
}

/** Seats already taken at one start of the service, the shape they share, and the starts that shape forbids. */
interface SeatGroup { seats: number; shape: Shape; forbidden?: Forbidden }

/**
 * The seats already taken at each start of this service, and the shape they share. Seats of one
 * session end together: a seat joining a start that has seats gets their end and buffers, whatever
 * the service's duration or buffers say now (they may have changed since). Should seats of one
 * start differ (data written before this rule), the longest end and buffers stand for all.
 */
function seatGroups(q: Omit<SlotQuery, 'fromDate' | 'toDate'>, window: Window): Map<number, SeatGroup> {
  const groups = new Map<number, SeatGroup>();
  for (const b of q.bookings) {
    if (b.serviceId !== q.serviceId || b.start < window.from || b.start > window.to) continue;
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

/** The days since 1970 from fromDate to toDate, inclusive, at most SLOT_QUERY_DAYS_MAX of them. */
function daysFromTo(fromDate: string, toDate: string): { first: number; last: number } {
  const first = epochDay(fromDate);
  const last = epochDay(toDate);
  assert(first <= last, `fromDate ${fromDate} is after toDate ${toDate}`);
  assert(last - first + 1 <= SLOT_QUERY_DAYS_MAX, `slot query spans ${last - first + 1} days (max ${SLOT_QUERY_DAYS_MAX})`);
  return { first, last };
}

/**
 * Every start offered on local days first..last lies in an availability interval of one of them: from
 * that day's 00:00 to the next day's 00:00 (24:00), local time, never more than 14 hours from UTC.
 */
function candidateWindow(first: number, last: number): Window {
  return { from: first * DAY_MS - DAY_MS, to: (last + 2) * DAY_MS + DAY_MS };
}

/** Offered slots of every local date from fromDate to toDate (inclusive), sorted by start. */
export function listSlots(q: SlotQuery): Slot[] {
  const { rules, now } = q;
  assert(rules.durationMinutes > 0 && rules.slotStepMinutes > 0, 'duration and step must be positive');
  const { first, last: lastDay } = daysFromTo(q.fromDate, q.toDate);
  const zone = zoneOffsets(q.timeZone);
  const plan = dayPlan(q.availability);
  const step = rules.slotStepMinutes * MINUTE_MS;
  const earliest = now + Math.max(0, rules.minNoticeMinutes) * MINUTE_MS;
  const latest = now + rules.maxAdvanceDays * DAY_MS;
  const fresh = shapeOf(rules);
  const window = candidateWindow(first, lastDay);
  const freshForbidden = forbiddenStarts(q, fresh, window);
  const groups = seatGroups(q, window);
  // A start with seats keeps their shape, which may differ from the rules' after a catalog edit:
  // a forbidden set per shape then, built when first needed (most groups have the rules' shape).
  const byShape = new Map<string, Forbidden>();
  const allows = (start: number, group: SeatGroup | undefined) => {
    if (!group || sameShape(group.shape, fresh)) return freshForbidden.allows(start);
    if (!group.forbidden) {
      const key = `${group.shape.lengthMs}/${group.shape.beforeMs}/${group.shape.afterMs}`;
      group.forbidden = byShape.get(key) ?? forbiddenStarts(q, group.shape, window);
      byShape.set(key, group.forbidden);
    }
    return group.forbidden.allows(start);
  };
  let shortest = fresh.lengthMs;
  for (const g of groups.values()) shortest = Math.min(shortest, g.shape.lengthMs);

  const slots: Slot[] = [];
  let ascending = true;
  for (let day = first; day <= lastDay; day++) {
    for (const interval of intervalsOn(day, plan, zone)) {
      const firstStep = Math.max(0, Math.ceil((earliest - interval.start) / step));
      const last = Math.min(interval.end - shortest, latest);
      for (let start = interval.start + firstStep * step; start <= last; start += step) {
        const group = groups.get(start);
        const shape = group?.shape ?? fresh;
        const end = start + shape.lengthMs;
        const remaining = rules.capacity - (group?.seats ?? 0);
        if (end <= interval.end && remaining > 0 && allows(start, group)) {
          if (slots.length > 0 && (slots[slots.length - 1] as Slot).start >= start) ascending = false;
          slots.push({ start, end, remaining, bufferBeforeMinutes: shape.beforeMs / MINUTE_MS, bufferAfterMinutes: shape.afterMs / MINUTE_MS });
        }
      }
    }
  }
  if (ascending) return slots;
  // Overlapping intervals of one day may produce the same start twice.
  slots.sort((a, b) => a.start - b.start);
  return slots.filter((s, i) => i === 0 || (slots[i - 1] as Slot).start !== s.start);
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.lengthMs === b.lengthMs && a.beforeMs === b.beforeMs && a.afterMs === b.afterMs;
}

/** The offered slot starting exactly at `start`, or null. Computes only the local day of `start`. */
export function findSlot(q: Omit<SlotQuery, 'fromDate' | 'toDate'>, start: number): Slot | null {
  const date = localDate(start, q.timeZone);
  return listSlots({ ...q, fromDate: date, toDate: date }).find((s) => s.start === start) ?? null;
}
