/**
 * The fast slot engine (src/domain/slots.ts: zone offset tables, one forbidden interval per booking,
 * resumable counts) offers exactly what the reference engine (slots-reference.ts, the engine before it
 * was made fast) offers, on random calendars in every zone the runtime knows, around their DST changes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { findSlot, listSlots, type BusyBooking, type SlotQuery, type TimeRange } from '../../src/domain/slots.js';
import { listSlots as referenceListSlots } from './slots-reference.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const dateOf = (instant: number): string => new Date(instant).toISOString().slice(0, 10);

const ZONES = Intl.supportedValuesOf('timeZone');

/** Local dates (UTC calendar days are close enough) on which the zone's offset changes in a year. */
const changesByZoneYear = new Map<string, number[]>();
function offsetChanges(zone: string, year: number): number[] {
  const key = `${zone} ${year}`;
  let changes = changesByZoneYear.get(key);
  if (!changes) {
    const z = IANAZone.create(zone);
    changes = [];
    for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += DAY) {
      if (z.offset(t) !== z.offset(t + DAY)) changes.push(t);
    }
    changesByZoneYear.set(key, changes);
  }
  return changes;
}

const timeOf = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
/** Any minute of the day, with the half hours and hours around DST changes (00:00–03:00) favoured. */
const minuteArb = fc.oneof(fc.integer({ min: 0, max: 1440 }), fc.integer({ min: 0, max: 16 }).map((k) => k * 15), fc.constantFrom(0, 60, 120, 150, 180, 240, 1440));
const rangeArb: fc.Arbitrary<TimeRange> = fc.tuple(minuteArb, minuteArb)
  .filter(([a, b]) => a !== b)
  .map(([a, b]) => ({ start: timeOf(Math.min(a, b)), end: timeOf(Math.max(a, b)) }));

/** A first day: any day of 2000–2037, or a few days before one of the zone's offset changes. */
const firstDayArb = (zone: string): fc.Arbitrary<number> => fc.integer({ min: 2000, max: 2037 }).chain((year) => {
  const changes = offsetChanges(zone, year);
  const anyDay = fc.integer({ min: 0, max: 364 }).map((d) => Date.UTC(year, 0, 1) + d * DAY);
  if (changes.length === 0) return anyDay;
  return fc.oneof(anyDay, fc.tuple(fc.constantFrom(...changes), fc.integer({ min: 0, max: 3 })).map(([t, back]) => t - back * DAY));
});

const queryArb: fc.Arbitrary<SlotQuery> = fc.constantFrom(...ZONES).chain((timeZone) => fc.record({
  timeZone: fc.constant(timeZone),
  first: firstDayArb(timeZone),
  days: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 61 })),
  rules: fc.record({
    durationMinutes: fc.oneof(fc.integer({ min: 1, max: 240 }), fc.constantFrom(1, 15, 30, 60)),
    bufferBeforeMinutes: fc.constantFrom(0, 5, 15, 30, 90),
    bufferAfterMinutes: fc.constantFrom(0, 5, 15, 30, 90),
    minNoticeMinutes: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
    maxAdvanceDays: fc.integer({ min: 0, max: 90 }),
    slotStepMinutes: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.constantFrom(15, 30, 60)),
    capacity: fc.integer({ min: 1, max: 4 }),
  }),
  weekly: fc.array(fc.tuple(fc.integer({ min: 1, max: 7 }), rangeArb).map(([weekday, r]) => ({ weekday, ...r })), { minLength: 1, maxLength: 14 }),
  // Overrides anywhere, and often on the first days, where the offset changes (see firstDayArb).
  overrideDays: fc.array(fc.tuple(fc.oneof(fc.integer({ min: -1, max: 62 }), fc.integer({ min: 0, max: 3 })), fc.array(rangeArb, { minLength: 1, maxLength: 3 })), { maxLength: 6 }),
  nowMinutes: fc.integer({ min: -3 * 24 * 60, max: 10 * 24 * 60 }),
})).chain(({ timeZone, first, days, rules, weekly, overrideDays, nowMinutes }) => {
  // Busy times around the listed days, and some well before or after them (which must change nothing).
  const around = fc.oneof(
    { arbitrary: fc.integer({ min: -DAY / MINUTE, max: (days + 2) * DAY / MINUTE }), weight: 4 },
    { arbitrary: fc.integer({ min: -10 * DAY / MINUTE, max: (days + 10) * DAY / MINUTE }), weight: 1 },
  ).map((m) => first + m * MINUTE);
  const booking = fc.record({
    serviceId: fc.constantFrom('svc', 'svc', 'other'),
    start: around,
    lengthMinutes: fc.integer({ min: 1, max: 300 }),
    bufferBeforeMinutes: fc.constantFrom(0, 10, 15, 60),
    bufferAfterMinutes: fc.constantFrom(0, 10, 15, 60),
  }).map(({ lengthMinutes, ...b }): BusyBooking => ({ ...b, end: b.start + lengthMinutes * MINUTE }));
  return fc.record({
    bookings: fc.array(booking, { maxLength: 200 }),
    // Extra seats at starts of other bookings: groups, some of another shape than the rules'.
    seats: fc.array(fc.nat(), { maxLength: 20 }),
    blocks: fc.array(fc.record({ start: around, minutes: fc.integer({ min: 1, max: 600 }) }).map(({ start, minutes }) => ({ start, end: start + minutes * MINUTE })), { maxLength: 5 }),
  }).map(({ bookings, seats, blocks }): SlotQuery => {
    const sameService = bookings.filter((b) => b.serviceId === 'svc');
    const extra = sameService.length === 0 ? [] : seats.map((k) => ({ ...(sameService[k % sameService.length] as BusyBooking) }));
    return {
      timeZone,
      availability: {
        weekly,
        overrides: overrideDays.map(([d, intervals]) => ({ date: dateOf(first + d * DAY), intervals })),
      },
      serviceId: 'svc',
      rules,
      bookings: [...bookings, ...extra],
      blocks,
      fromDate: dateOf(first),
      toDate: dateOf(first + days * DAY),
      now: first + nowMinutes * MINUTE,
    };
  });
});

describe('the fast slot engine', () => {
  it('offers exactly the slots of the reference engine, in every zone, around DST changes', () => {
    fc.assert(fc.property(queryArb, (q) => {
      expect(listSlots(q)).toEqual(referenceListSlots(q));
    }), { numRuns: 400 });
  });

  it('finds with findSlot exactly what the reference engine offers that day', () => {
    fc.assert(fc.property(queryArb, (q) => {
      for (const slot of referenceListSlots(q).slice(0, 20)) expect(findSlot(q, slot.start)).toEqual(slot);
    }), { numRuns: 100 });
  });
});

describe('dates of the first centuries', () => {
  it('lists the days of years 1–99 as themselves (Date.UTC would read them as 1901–1999), as the reference does', () => {
    for (const [fromDate, toDate] of [['0001-01-01', '0001-01-31'], ['0099-12-25', '0100-01-05']] as const) {
      const q: SlotQuery = {
        timeZone: 'Europe/London',
        availability: { weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '12:00' })), overrides: [{ date: fromDate, intervals: [] }] },
        serviceId: 'svc',
        rules: { durationMinutes: 60, bufferBeforeMinutes: 0, bufferAfterMinutes: 0, minNoticeMinutes: 0, maxAdvanceDays: 1_000_000, slotStepMinutes: 60, capacity: 1 },
        bookings: [],
        fromDate,
        toDate,
        now: -62_200_000_000_000,
      };
      const slots = listSlots(q);
      expect(slots.length).toBeGreaterThan(0);
      expect(new Date(slots[0]!.start).toISOString().slice(0, 10)).toBe(dateOf(Date.parse(`${fromDate}T00:00:00Z`) + DAY));
      expect(slots).toEqual(referenceListSlots(q));
    }
  });
});
