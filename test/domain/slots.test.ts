import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { IANAZone } from 'luxon';
import {
  SLOT_QUERY_DAYS_MAX,
  findSlot,
  listSlots,
  localDate,
  type Availability,
  type BusyBooking,
  type Slot,
  type SlotQuery,
  type SlotRules,
  type TimeRange,
} from '../../src/domain/slots.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (iso: string): number => Date.parse(iso);
const iso = (instant: number): string => new Date(instant).toISOString().replace(':00.000Z', 'Z');
const starts = (slots: Slot[]): string[] => slots.map((s) => iso(s.start));

const RULES: SlotRules = {
  durationMinutes: 60, bufferBeforeMinutes: 0, bufferAfterMinutes: 0,
  minNoticeMinutes: 0, maxAdvanceDays: 365, slotStepMinutes: 60, capacity: 1,
};
const everyDay = (start: string, end: string): Availability => ({
  weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start, end })),
  overrides: [],
});
const onDate = (date: string, intervals: TimeRange[]): Availability => ({ weekly: [], overrides: [{ date, intervals }] });
const booking = (fields: Partial<BusyBooking> & { start: number; end: number }): BusyBooking => ({
  serviceId: 'other', bufferBeforeMinutes: 0, bufferAfterMinutes: 0, ...fields,
});

/** One day in London in winter (UTC+0), so wall clock and UTC read the same. */
const WINTER_DAY = '2026-01-15';
function query(fields: Omit<Partial<SlotQuery>, 'rules'> & { rules?: Partial<SlotRules> } = {}): SlotQuery {
  return {
    timeZone: 'Europe/London',
    availability: everyDay('09:00', '12:00'),
    serviceId: 'svc',
    bookings: [],
    fromDate: WINTER_DAY,
    toDate: WINTER_DAY,
    now: at('2026-01-01T00:00:00Z'),
    ...fields,
    rules: { ...RULES, ...fields.rules },
  };
}

describe('time zones', () => {
  it('offers 09:00 Europe/London as 09:00Z in winter and 08:00Z in summer', () => {
    const q = query({ availability: everyDay('09:00', '10:00') });
    expect(starts(listSlots({ ...q, fromDate: '2026-01-15', toDate: '2026-01-15' }))).toEqual(['2026-01-15T09:00Z']);
    expect(starts(listSlots({ ...q, fromDate: '2026-07-15', toDate: '2026-07-15' }))).toEqual(['2026-07-15T08:00Z']);
  });

  it('uses the local weekday and date of a practice in Auckland, a day ahead of UTC', () => {
    const q = query({
      timeZone: 'Pacific/Auckland',
      availability: { weekly: [{ weekday: 4, start: '09:00', end: '10:00' }], overrides: [] }, // Thursdays
      fromDate: '2026-01-14', // Wednesday
      toDate: '2026-01-16',
    });
    const slots = listSlots(q);
    // Thursday 09:00 NZDT (UTC+13) is still Wednesday in UTC.
    expect(starts(slots)).toEqual(['2026-01-14T20:00Z']);
    expect(localDate(slots[0]!.start, 'Pacific/Auckland')).toBe('2026-01-15');
    expect(findSlot(q, slots[0]!.start)).toEqual(slots[0]);
  });

  it('puts an evening in Los Angeles on the next UTC date', () => {
    const q = query({ timeZone: 'America/Los_Angeles', availability: onDate('2026-01-15', [{ start: '17:00', end: '18:00' }]) });
    expect(starts(listSlots(q))).toEqual(['2026-01-16T01:00Z']);
    expect(localDate(at('2026-01-16T01:00:00Z'), 'America/Los_Angeles')).toBe('2026-01-15');
  });

  it("reads '24:00' as the start of the next day", () => {
    const slots = listSlots(query({ availability: everyDay('22:00', '24:00') }));
    expect(starts(slots)).toEqual(['2026-01-15T22:00Z', '2026-01-15T23:00Z']);
    expect(slots[1]!.end).toBe(at('2026-01-16T00:00:00Z'));
  });
});

describe('daylight saving time', () => {
  const halfHours = { durationMinutes: 30, slotStepMinutes: 30 };

  it('starts hours written inside the spring-forward gap at the first instant after it (Berlin 02:00-04:00 opens at 03:00 CEST)', () => {
    const slots = listSlots(query({
      timeZone: 'Europe/Berlin',
      availability: onDate('2026-03-29', [{ start: '02:00', end: '04:00' }]),
      fromDate: '2026-03-29', toDate: '2026-03-29', rules: halfHours,
    }));
    expect(starts(slots)).toEqual(['2026-03-29T01:00Z', '2026-03-29T01:30Z']);
    expect(slots[1]!.end).toBe(at('2026-03-29T02:00:00Z')); // 04:00 CEST
  });

  it('moves a London 01:30 start that does not exist to 02:00 BST, not to 02:30', () => {
    const slots = listSlots(query({
      availability: onDate('2026-03-29', [{ start: '01:30', end: '03:00' }]),
      fromDate: '2026-03-29', toDate: '2026-03-29', rules: halfHours,
    }));
    expect(starts(slots)).toEqual(['2026-03-29T01:00Z', '2026-03-29T01:30Z']);
  });

  it('ends hours written inside the gap at the first instant after it', () => {
    const slots = listSlots(query({
      timeZone: 'Europe/Berlin',
      availability: onDate('2026-03-29', [{ start: '01:00', end: '02:30' }]),
      fromDate: '2026-03-29', toDate: '2026-03-29', rules: halfHours,
    }));
    // 01:00 CET = 00:00Z until the jump at 01:00Z: one hour of real time.
    expect(starts(slots)).toEqual(['2026-03-29T00:00Z', '2026-03-29T00:30Z']);
  });

  it('covers both occurrences of an ambiguous fall-back half hour: earlier start, later end (Berlin 02:30-02:45)', () => {
    const slots = listSlots(query({
      timeZone: 'Europe/Berlin',
      availability: onDate('2026-10-25', [{ start: '02:30', end: '02:45' }]),
      fromDate: '2026-10-25', toDate: '2026-10-25',
      rules: { durationMinutes: 15, slotStepMinutes: 15 },
    }));
    // 02:30 CEST = 00:30Z ... 02:45 CET = 01:45Z
    expect(starts(slots)).toEqual(['2026-10-25T00:30Z', '2026-10-25T00:45Z', '2026-10-25T01:00Z', '2026-10-25T01:15Z', '2026-10-25T01:30Z']);
  });

  it('steps in real elapsed time across the fall-back hour: 00:00-06:00 that day is seven hourly slots', () => {
    const slots = listSlots(query({
      timeZone: 'Europe/Berlin',
      availability: onDate('2026-10-25', [{ start: '00:00', end: '06:00' }]),
      fromDate: '2026-10-25', toDate: '2026-10-25',
    }));
    // Seven real hours between 00:00 CEST (22:00Z) and 06:00 CET (05:00Z).
    expect(slots).toHaveLength(7);
    expect(iso(slots[0]!.start)).toBe('2026-10-24T22:00Z');
    expect(iso(slots[6]!.end)).toBe('2026-10-25T05:00Z');
  });

  it("ends a day written up to '24:00' at the first midnight when midnight happens twice (Havana falls back 01:00 -> 00:00)", () => {
    const slots = listSlots(query({
      timeZone: 'America/Havana',
      availability: onDate('2026-10-31', [{ start: '23:00', end: '24:00' }]),
      fromDate: '2026-10-31', toDate: '2026-10-31',
    }));
    expect(starts(slots)).toEqual(['2026-11-01T03:00Z']); // 23:00-24:00 CDT, not the repeated hour of Nov 1
  });

  it('ends hours written up to the first repeated minute of a fall-back at its first occurrence (Los Angeles 00:00-01:00 on 2026-11-01 is one hour)', () => {
    // A property counterexample: 01:00 happens at 08:00Z (PDT) and again at 09:00Z (PST, 02:00 PDT
    // falls back to 01:00). The repeated 01:00-02:00 is after the hours written, so the end is 08:00Z.
    const q = query({
      timeZone: 'America/Los_Angeles',
      availability: onDate('2026-11-01', [{ start: '00:00', end: '01:00' }]),
      fromDate: '2026-10-31', toDate: '2026-11-02',
      now: at('2026-10-31T00:00:00Z'),
      rules: { durationMinutes: 115, slotStepMinutes: 60, capacity: 2, maxAdvanceDays: 7 },
    });
    expect(listSlots(q)).toEqual([]); // 07:00Z-08:55Z would end at 01:55 PDT, outside the hours
    const slots = listSlots({ ...q, rules: { ...q.rules, durationMinutes: 30, slotStepMinutes: 30 } });
    expect(starts(slots)).toEqual(['2026-11-01T07:00Z', '2026-11-01T07:30Z']);
    expect(slots[1]!.end).toBe(at('2026-11-01T08:00:00Z')); // 01:00 PDT
  });
});

describe('availability', () => {
  it('takes a day off when an override has no intervals', () => {
    const q = query({ availability: { ...everyDay('09:00', '10:00'), overrides: [{ date: '2026-01-16', intervals: [] }] }, toDate: '2026-01-17' });
    expect(starts(listSlots(q))).toEqual(['2026-01-15T09:00Z', '2026-01-17T09:00Z']);
  });

  it('replaces the weekly hours of the overridden date with other hours', () => {
    const q = query({
      availability: { ...everyDay('09:00', '10:00'), overrides: [{ date: '2026-01-16', intervals: [{ start: '14:00', end: '16:00' }] }] },
      toDate: '2026-01-16',
    });
    expect(starts(listSlots(q))).toEqual(['2026-01-15T09:00Z', '2026-01-16T14:00Z', '2026-01-16T15:00Z']);
  });

  it('includes the toDate', () => {
    const q = query({ availability: everyDay('09:00', '10:00'), fromDate: '2026-01-15', toDate: '2026-01-17' });
    expect(starts(listSlots(q))).toEqual(['2026-01-15T09:00Z', '2026-01-16T09:00Z', '2026-01-17T09:00Z']);
  });

  it('offers overlapping starts when the step is smaller than the duration, all inside the hours', () => {
    const slots = listSlots(query({ availability: everyDay('09:00', '11:00'), rules: { slotStepMinutes: 15 } }));
    expect(starts(slots)).toEqual(['09:00', '09:15', '09:30', '09:45', '10:00'].map((t) => `${WINTER_DAY}T${t}Z`));
    expect(iso(slots[4]!.end)).toBe(`${WINTER_DAY}T11:00Z`);
  });

  it('aligns starts to the step from the start of each interval, not from the hour', () => {
    const q = query({ availability: everyDay('09:10', '11:00'), rules: { slotStepMinutes: 30 } });
    expect(starts(listSlots(q))).toEqual([`${WINTER_DAY}T09:10Z`, `${WINTER_DAY}T09:40Z`]);
  });

  it('lists a start once when two weekly intervals of a day overlap', () => {
    const q = query({ availability: { weekly: [{ weekday: 4, start: '09:00', end: '11:00' }, { weekday: 4, start: '10:00', end: '12:00' }], overrides: [] } });
    expect(starts(listSlots(q))).toEqual(['09:00', '10:00', '11:00'].map((t) => `${WINTER_DAY}T${t}Z`));
  });
});

describe('notice and horizon', () => {
  it('offers nothing in the past, even with no notice', () => {
    expect(starts(listSlots(query({ now: at('2026-01-15T09:30:00Z') })))).toEqual([`${WINTER_DAY}T10:00Z`, `${WINTER_DAY}T11:00Z`]);
  });

  it('offers a start exactly minNotice after now, not earlier', () => {
    const slots = listSlots(query({ now: at('2026-01-15T08:00:00Z'), rules: { minNoticeMinutes: 120 } }));
    expect(starts(slots)).toEqual([`${WINTER_DAY}T10:00Z`, `${WINTER_DAY}T11:00Z`]);
  });

  it('offers a start exactly maxAdvanceDays after now, not later', () => {
    const slots = listSlots(query({ now: at('2026-01-14T10:00:00Z'), rules: { maxAdvanceDays: 1 } }));
    expect(starts(slots)).toEqual([`${WINTER_DAY}T09:00Z`, `${WINTER_DAY}T10:00Z`]);
  });
});

describe('the calendar', () => {
  const t = (hhmm: string): number => at(`${WINTER_DAY}T${hhmm}:00Z`);
  const wide = { availability: everyDay('08:00', '13:00'), rules: { slotStepMinutes: 15 } };

  it('lets a new booking touch an existing one but not overlap it', () => {
    const slots = listSlots(query({ ...wide, bookings: [booking({ start: t('10:00'), end: t('11:00') })] }));
    expect(starts(slots)).toContain(`${WINTER_DAY}T09:00Z`);
    expect(starts(slots)).toContain(`${WINTER_DAY}T11:00Z`);
    expect(starts(slots).filter((s) => s > `${WINTER_DAY}T09:00Z` && s < `${WINTER_DAY}T11:00Z`)).toEqual([]);
  });

  it("lets the new booking's buffer overlap another booking's buffer, but not its session", () => {
    const slots = listSlots(query({
      ...wide,
      rules: { ...wide.rules, bufferBeforeMinutes: 30 },
      bookings: [booking({ start: t('10:00'), end: t('11:00'), bufferAfterMinutes: 15 })],
    }));
    // 11:15's 30 min buffer reaches into the 10:00-11:00 session; 11:30's only overlaps the other buffer.
    expect(starts(slots)).not.toContain(`${WINTER_DAY}T11:15Z`);
    expect(starts(slots)).toContain(`${WINTER_DAY}T11:30Z`);
  });

  it("refuses a session that overlaps an existing booking's buffer", () => {
    const slots = listSlots(query({
      ...wide,
      rules: { ...wide.rules, bufferAfterMinutes: 15 },
      bookings: [booking({ start: t('10:00'), end: t('11:00'), bufferBeforeMinutes: 30 })],
    }));
    // 08:45-09:45 would sit in the 09:30-10:00 buffer; 08:30-09:30 touches it.
    expect(starts(slots)).not.toContain(`${WINTER_DAY}T08:45Z`);
    expect(starts(slots)).toContain(`${WINTER_DAY}T08:30Z`);
  });

  it('shares seats of a group session: capacity 3 with 2 booked leaves 1', () => {
    const two = [1, 2].map(() => booking({ serviceId: 'svc', start: t('10:00'), end: t('11:00') }));
    const slots = listSlots(query({ rules: { capacity: 3 }, bookings: two }));
    expect(slots.map((s) => [iso(s.start), s.remaining])).toEqual([
      [`${WINTER_DAY}T09:00Z`, 3], [`${WINTER_DAY}T10:00Z`, 1], [`${WINTER_DAY}T11:00Z`, 3],
    ]);
  });

  it('stops offering a group session once its 3 seats are taken', () => {
    const three = [1, 2, 3].map(() => booking({ serviceId: 'svc', start: t('10:00'), end: t('11:00') }));
    const q = query({ rules: { capacity: 3 }, bookings: three });
    expect(starts(listSlots(q))).toEqual([`${WINTER_DAY}T09:00Z`, `${WINTER_DAY}T11:00Z`]);
    expect(findSlot(q, t('10:00'))).toBeNull();
  });

  it('blocks a group session when the same service is booked at an overlapping but different start', () => {
    const q = query({ rules: { capacity: 3, slotStepMinutes: 30 }, bookings: [booking({ serviceId: 'svc', start: t('10:30'), end: t('11:30') })] });
    expect(starts(listSlots(q))).toEqual([`${WINTER_DAY}T09:00Z`, `${WINTER_DAY}T09:30Z`, `${WINTER_DAY}T10:30Z`]);
  });

  it('does not share seats with another service booked at the same start', () => {
    const q = query({ rules: { capacity: 3 }, bookings: [booking({ serviceId: 'other', start: t('10:00'), end: t('11:00') })] });
    expect(starts(listSlots(q))).toEqual([`${WINTER_DAY}T09:00Z`, `${WINTER_DAY}T11:00Z`]);
  });

  it('keeps the new booking and its buffers clear of imported calendar blocks', () => {
    const slots = listSlots(query({
      ...wide,
      rules: { ...wide.rules, bufferBeforeMinutes: 15, bufferAfterMinutes: 15 },
      blocks: [{ start: t('10:00'), end: t('11:00') }],
    }));
    expect(starts(slots).filter((s) => s >= `${WINTER_DAY}T08:45Z` && s <= `${WINTER_DAY}T11:15Z`)).toEqual([
      `${WINTER_DAY}T08:45Z`, `${WINTER_DAY}T11:15Z`,
    ]);
  });

  it('lists slots among 20,000 bookings over 62 days (speed is measured by npm run bench)', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const from = at('2026-01-01T00:00:00Z');
    const bookings = Array.from({ length: 20_000 }, () => {
      const start = from + Math.floor(random() * 62 * 24 * 12) * 5 * MINUTE;
      return booking({ serviceId: random() < 0.5 ? 'svc' : 'other', start, end: start + 30 * MINUTE, bufferAfterMinutes: 10 });
    });
    const q = query({
      availability: everyDay('00:00', '24:00'), bookings, fromDate: '2026-01-01', toDate: '2026-03-03',
      now: from, rules: { slotStepMinutes: 5, durationMinutes: 30, capacity: 2 },
    });
    const slots = listSlots(q);
    expect(slots.length).toBeGreaterThan(0);
  });
});

describe('a slot that has seats keeps their shape (review S6)', () => {
  const t = (hhmm: string): number => at(`${WINTER_DAY}T${hhmm}:00Z`);
  const seat = (start: string, end: string, buffers: Partial<BusyBooking> = {}) => booking({ serviceId: 'svc', start: t(start), end: t(end), ...buffers });

  it('offers a booked group slot with the end and buffers of its seats after the service became shorter', () => {
    const q = query({ rules: { durationMinutes: 30, slotStepMinutes: 60, capacity: 3, bufferAfterMinutes: 5 }, bookings: [seat('10:00', '11:00', { bufferAfterMinutes: 15 })] });
    // 11:00 is refused: its session would sit in the seats' 15-minute buffer.
    expect(listSlots(q).map((s) => [iso(s.start), iso(s.end), s.remaining, s.bufferBeforeMinutes, s.bufferAfterMinutes])).toEqual([
      [`${WINTER_DAY}T09:00Z`, `${WINTER_DAY}T09:30Z`, 3, 0, 5],
      [`${WINTER_DAY}T10:00Z`, `${WINTER_DAY}T11:00Z`, 2, 0, 15],
    ]);
    expect(findSlot(q, t('10:00'))).toEqual({ start: t('10:00'), end: t('11:00'), remaining: 2, bufferBeforeMinutes: 0, bufferAfterMinutes: 15 });
  });

  it('offers a booked group slot that its seats still fit after the service became longer, where the new length would not', () => {
    // 11:00-12:00 ends with the hours, 90 minutes would not; 09:00-10:00 meets another booking at 10:00, 90 minutes would overlap it.
    const q = query({
      rules: { durationMinutes: 90, slotStepMinutes: 60, capacity: 2 },
      bookings: [seat('11:00', '12:00'), seat('09:00', '10:00'), booking({ start: t('10:00'), end: t('11:00') })],
    });
    expect(listSlots(q).map((s) => [iso(s.start), iso(s.end), s.remaining])).toEqual([
      [`${WINTER_DAY}T09:00Z`, `${WINTER_DAY}T10:00Z`, 1],
      [`${WINTER_DAY}T11:00Z`, `${WINTER_DAY}T12:00Z`, 1],
    ]);
  });

  it('still refuses a booked group slot that its seats no longer fit: hours cut short, or an imported block', () => {
    const q = query({ availability: everyDay('09:00', '10:30'), rules: { capacity: 2 }, bookings: [seat('10:00', '11:00'), seat('09:00', '10:00')], blocks: [{ start: t('09:30'), end: t('09:45') }] });
    expect(starts(listSlots(q))).toEqual([]);
  });
});

describe('findSlot', () => {
  it('finds the slot a client picked, and nothing at a start that is not offered', () => {
    const q = query({ rules: { slotStepMinutes: 30, capacity: 2 }, bookings: [booking({ serviceId: 'svc', start: at('2026-01-15T10:00:00Z'), end: at('2026-01-15T11:00:00Z') })] });
    expect(findSlot(q, at('2026-01-15T10:00:00Z'))).toEqual({ start: at('2026-01-15T10:00:00Z'), end: at('2026-01-15T11:00:00Z'), remaining: 1, bufferBeforeMinutes: 0, bufferAfterMinutes: 0 });
    expect(findSlot(q, at('2026-01-15T10:10:00Z'))).toBeNull(); // not on the step
    expect(findSlot(q, at('2026-01-15T11:30:00Z'))).toBeNull(); // would end after 12:00
    expect(findSlot(q, at('2026-01-15T12:00:00Z'))).toBeNull();
  });
});

describe('guard rails', () => {
  it('refuses a query whose fromDate is after its toDate', () => {
    expect(() => listSlots(query({ fromDate: '2026-01-16', toDate: '2026-01-15' }))).toThrow(/invariant/);
  });

  it(`answers ${SLOT_QUERY_DAYS_MAX} days and refuses one more`, () => {
    expect(() => listSlots(query({ fromDate: '2026-01-01', toDate: '2026-03-03' }))).not.toThrow();
    expect(() => listSlots(query({ fromDate: '2026-01-01', toDate: '2026-03-04' }))).toThrow(/invariant/);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties, against a brute-force model that shares no code with the module.

const ZONES = ['UTC', 'Europe/London', 'Europe/Berlin', 'America/Los_Angeles', 'Pacific/Auckland', 'Asia/Kolkata'];
// Ordinary days and the weekends of DST changes in Europe, the US and New Zealand.
const FIRST_DAYS = ['2026-01-15', '2026-03-07', '2026-03-28', '2026-04-04', '2026-06-30', '2026-09-26', '2026-10-24', '2026-10-31'];
const QUARTER = 15 * MINUTE;

const addDays = (date: string, days: number): string => new Date(at(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
const isoWeekday = (date: string): number => ((new Date(at(`${date}T00:00:00Z`)).getUTCDay() + 6) % 7) + 1;

const offsets = new Map<string, number>();
function wallOf(zone: string, instant: number): number {
  const key = `${zone}@${instant}`;
  let offset = offsets.get(key);
  if (offset === undefined) offsets.set(key, (offset = IANAZone.create(zone).offset(instant)));
  return instant + offset * MINUTE;
}

/**
 * Interval boundary by scanning instants (every zone above changes offset on a quarter hour):
 * a start is the first instant whose wall clock reaches the time, an end the instant from which
 * the wall clock stays at or past it.
 */
const bounds = new Map<string, number>();
function boundary(zone: string, date: string, time: string, edge: 'start' | 'end'): number {
  if (time === '24:00') return boundary(zone, addDays(date, 1), '00:00', 'start');
  const key = `${zone} ${date} ${time} ${edge}`;
  const known = bounds.get(key);
  if (known !== undefined) return known;
  const wall = at(`${date}T${time}:00Z`);
  let first: number | undefined;
  let lastBelow = wall - 15 * HOUR;
  for (let t = wall - 15 * HOUR; t <= wall + 15 * HOUR; t += QUARTER) {
    if (wallOf(zone, t) >= wall) first ??= t;
    else lastBelow = t;
  }
  const result = edge === 'start' ? first! : lastBelow + QUARTER;
  bounds.set(key, result);
  return result;
}

function modelIntervals(q: SlotQuery, date: string): { start: number; end: number }[] {
  const override = q.availability.overrides.find((o) => o.date === date);
  const ranges = override ? override.intervals : q.availability.weekly.filter((w) => w.weekday === isoWeekday(date));
  return ranges.map((r) => ({ start: boundary(q.timeZone, date, r.start, 'start'), end: boundary(q.timeZone, date, r.end, 'end') }));
}

const overlaps = (a0: number, a1: number, b0: number, b1: number): boolean => a0 < b1 && b0 < a1;
const seatsTaken = (q: SlotQuery, start: number): number => q.bookings.filter((b) => b.serviceId === q.serviceId && b.start === start).length;
const sharesSeats = (q: SlotQuery, start: number, b: BusyBooking): boolean => b.serviceId === q.serviceId && b.start === start;
/** The session a seat at `start` gets: the shape of the seats already there (longest), else the rules'. */
function sessionAt(q: SlotQuery, start: number): { end: number; bufferBeforeMinutes: number; bufferAfterMinutes: number } {
  const seats = q.bookings.filter((b) => sharesSeats(q, start, b));
  if (seats.length === 0) return { end: start + q.rules.durationMinutes * MINUTE, bufferBeforeMinutes: q.rules.bufferBeforeMinutes, bufferAfterMinutes: q.rules.bufferAfterMinutes };
  return {
    end: Math.max(...seats.map((b) => b.end)),
    bufferBeforeMinutes: Math.max(...seats.map((b) => b.bufferBeforeMinutes)),
    bufferAfterMinutes: Math.max(...seats.map((b) => b.bufferAfterMinutes)),
  };
}
function conflicts(q: SlotQuery, start: number, b: BusyBooking): boolean {
  const { end, bufferBeforeMinutes, bufferAfterMinutes } = sessionAt(q, start);
  const [before, after] = [bufferBeforeMinutes * MINUTE, bufferAfterMinutes * MINUTE];
  return overlaps(start - before, end + after, b.start, b.end)
    || overlaps(start, end, b.start - b.bufferBeforeMinutes * MINUTE, b.end + b.bufferAfterMinutes * MINUTE);
}

function modelSlots(q: SlotQuery): Slot[] {
  const { rules } = q;
  const found = new Map<number, Slot>();
  for (let date = q.fromDate; date <= q.toDate; date = addDays(date, 1)) {
    for (const { start: from, end: to } of modelIntervals(q, date)) {
      for (let start = from; start < to; start += rules.slotStepMinutes * MINUTE) {
        const session = sessionAt(q, start);
        if (session.end > to) continue;
        if (start < q.now || start < q.now + rules.minNoticeMinutes * MINUTE || start > q.now + rules.maxAdvanceDays * DAY) continue;
        if (q.bookings.some((b) => !sharesSeats(q, start, b) && conflicts(q, start, b))) continue;
        if ((q.blocks ?? []).some((k) => conflicts(q, start, booking({ ...k, serviceId: 'block' })))) continue;
        const remaining = rules.capacity - seatsTaken(q, start);
        if (remaining > 0) found.set(start, { start, remaining, ...session });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.start - b.start);
}

const timeOf = (quarter: number): string => quarter === 96 ? '24:00' : `${String(Math.floor(quarter / 4)).padStart(2, '0')}:${String((quarter % 4) * 15).padStart(2, '0')}`;
const rangeArb: fc.Arbitrary<TimeRange> = fc.tuple(fc.integer({ min: 0, max: 96 }), fc.integer({ min: 0, max: 96 }))
  .filter(([a, b]) => a !== b)
  .map(([a, b]) => ({ start: timeOf(Math.min(a, b)), end: timeOf(Math.max(a, b)) }));

const minutes = (...values: number[]): fc.Arbitrary<number> => fc.constantFrom(...values);
const rulesArb: fc.Arbitrary<SlotRules> = fc.record({
  durationMinutes: fc.integer({ min: 1, max: 24 }).map((k) => k * 5),
  bufferBeforeMinutes: minutes(0, 5, 15, 30),
  bufferAfterMinutes: minutes(0, 5, 15, 30),
  minNoticeMinutes: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })),
  maxAdvanceDays: fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: 7 }), weight: 9 }),
  slotStepMinutes: minutes(5, 10, 15, 20, 30, 45, 60, 90),
  capacity: fc.integer({ min: 1, max: 3 }),
});

const queryArb: fc.Arbitrary<SlotQuery> = fc
  .record({ timeZone: fc.constantFrom(...ZONES), fromDate: fc.constantFrom(...FIRST_DAYS), days: fc.integer({ min: 0, max: 3 }), rules: rulesArb })
  .chain(({ timeZone, fromDate, days, rules }) => {
    const base = at(`${fromDate}T00:00:00Z`);
    const quarterAround = fc.integer({ min: -96, max: 5 * 96 }).map((k) => base + k * QUARTER);
    const anyBooking = fc.record({
      serviceId: fc.constantFrom('svc', 'other'),
      start: quarterAround,
      length: fc.integer({ min: 1, max: 8 }),
      bufferBeforeMinutes: minutes(0, 15, 30),
      bufferAfterMinutes: minutes(0, 15, 30),
    }).map(({ length, ...b }): BusyBooking => ({ ...b, end: b.start + length * QUARTER }));
    return fc.record({
      timeZone: fc.constant(timeZone),
      fromDate: fc.constant(fromDate),
      toDate: fc.constant(addDays(fromDate, days)),
      serviceId: fc.constant('svc'),
      rules: fc.constant(rules),
      availability: fc.record({
        weekly: fc.array(fc.tuple(fc.integer({ min: 1, max: 7 }), rangeArb).map(([weekday, r]) => ({ weekday, ...r })), { minLength: 4, maxLength: 20 }),
        overrides: fc.uniqueArray(
          fc.record({ date: fc.integer({ min: 0, max: 3 }).map((k) => addDays(fromDate, k)), intervals: fc.array(rangeArb, { maxLength: 2 }) }),
          { maxLength: 2, selector: (o) => o.date },
        ),
      }),
      blocks: fc.array(fc.record({ start: quarterAround, length: fc.integer({ min: 1, max: 16 }) }).map(({ start, length }) => ({ start, end: start + length * QUARTER })), { maxLength: 3 }),
      now: fc.integer({ min: -24 * 60, max: 12 * 60 }).map((m) => base + m * MINUTE),
    }).chain((q) => {
      // Bookings of this service at starts the model offers, so that seats get shared.
      const offered = modelSlots({ ...q, bookings: [] }).map((slot) => slot.start);
      const seatBooking = (starts: number[]) => fc.constantFrom(...starts).map((start): BusyBooking => ({
        serviceId: 'svc', start, end: start + rules.durationMinutes * MINUTE,
        bufferBeforeMinutes: rules.bufferBeforeMinutes, bufferAfterMinutes: rules.bufferAfterMinutes,
      }));
      const bookings = offered.length > 0 ? fc.oneof(anyBooking, seatBooking(offered)) : anyBooking;
      return fc.array(bookings, { maxLength: 30 }).map((list) => ({ ...q, bookings: list }));
    });
  });

const RUNS = { numRuns: 200 };

describe('properties', () => {
  it('offers exactly the slots of a brute-force model of the rules', () => {
    fc.assert(fc.property(queryArb, (q) => {
      expect(listSlots(q)).toEqual(modelSlots(q));
    }), RUNS);
  });

  it('never offers a slot that overlaps a busy interval, unless it shares seats of the same service and start', () => {
    fc.assert(fc.property(queryArb, (q) => {
      for (const slot of listSlots(q)) {
        for (const b of q.bookings) if (!sharesSeats(q, slot.start, b)) expect(conflicts(q, slot.start, b)).toBe(false);
        for (const k of q.blocks ?? []) expect(conflicts(q, slot.start, booking(k))).toBe(false);
        expect(slot.remaining).toBe(q.rules.capacity - seatsTaken(q, slot.start));
        expect(slot.remaining).toBeGreaterThan(0);
      }
    }), RUNS);
  });

  it('keeps every slot inside an availability interval of its local date, aligned to the step from its start', () => {
    fc.assert(fc.property(queryArb, (q) => {
      for (const slot of listSlots(q)) {
        const date = localDate(slot.start, q.timeZone);
        expect(date >= q.fromDate && date <= q.toDate).toBe(true);
        expect(slot.end).toBe(sessionAt(q, slot.start).end);
        const home = modelIntervals(q, date).filter((i) => i.start <= slot.start && slot.end <= i.end);
        expect(home.some((i) => (slot.start - i.start) % (q.rules.slotStepMinutes * MINUTE) === 0)).toBe(true);
      }
    }), RUNS);
  });

  it('respects notice and horizon, and returns slots sorted and unique', () => {
    fc.assert(fc.property(queryArb, (q) => {
      const slots = listSlots(q);
      for (const slot of slots) {
        expect(slot.start).toBeGreaterThanOrEqual(q.now + q.rules.minNoticeMinutes * MINUTE);
        expect(slot.start).toBeLessThanOrEqual(q.now + q.rules.maxAdvanceDays * DAY);
      }
      for (let i = 1; i < slots.length; i++) expect(slots[i]!.start).toBeGreaterThan(slots[i - 1]!.start);
    }), RUNS);
  });

  it('finds with findSlot every slot listSlots offers', () => {
    fc.assert(fc.property(queryArb, (q) => {
      for (const slot of listSlots(q)) expect(findSlot(q, slot.start)).toEqual(slot);
    }), RUNS);
  });
});
