import type { Db } from '../db/create-db.js';
import type { Availability, DateOverride, TimeRange, WeeklyHours } from '../domain/slots.js';
import { throwIfAny, type FieldError } from './field-errors.js';

type Practitioner = { practiceId: string };

const MINUTES_PER_DAY = 24 * 60;

/** GET /availability: the weekly hours and the date overrides, sorted. */
export async function getAvailability(db: Db, caller: Practitioner): Promise<Availability> {
  const row = await db.kysely.selectFrom('availability').selectAll().where('practice_id', '=', caller.practiceId).executeTakeFirst();
  return sorted({
    weekly: JSON.parse(row?.weekly_json ?? '[]') as WeeklyHours[],
    overrides: JSON.parse(row?.overrides_json ?? '[]') as DateOverride[],
  });
}

/** PUT /availability: replaces the weekly hours and the date overrides, both at once. */
export async function setAvailability(db: Db, caller: Practitioner, input: Availability): Promise<Availability> {
  throwIfAny(availabilityErrors(input));
  const availability = sorted(input);
  const columns = { weekly_json: JSON.stringify(availability.weekly), overrides_json: JSON.stringify(availability.overrides) };
  await db.write(async (trx) => {
    const updated = await trx.updateTable('availability').set(columns).where('practice_id', '=', caller.practiceId).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) await trx.insertInto('availability').values({ practice_id: caller.practiceId, ...columns }).execute();
  });
  return availability;
}

/** Each interval starts before it ends; intervals of one day do not overlap; a date is overridden once. */
export function availabilityErrors(input: Availability): FieldError[] {
  const errors: FieldError[] = [];
  for (let weekday = 1; weekday <= 7; weekday++) {
    const ofDay = input.weekly.map((range, index) => ({ range, path: `/weekly/${index}` })).filter((r) => r.range.weekday === weekday);
    errors.push(...rangeErrors(ofDay));
  }
  const seen = new Set<string>();
  input.overrides.forEach((override, index) => {
    if (seen.has(override.date)) errors.push({ path: `/overrides/${index}/date`, message: `${override.date} is overridden twice` });
    seen.add(override.date);
    errors.push(...rangeErrors(override.intervals.map((range, i) => ({ range, path: `/overrides/${index}/intervals/${i}` }))));
  });
  return errors.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

/** The intervals of one day, each with its path in the body. */
function rangeErrors(ranges: { range: TimeRange; path: string }[]): FieldError[] {
  const errors: FieldError[] = [];
  const valid: { start: number; end: number; path: string }[] = [];
  for (const { range, path } of ranges) {
    const start = minutes(range.start);
    const end = minutes(range.end);
    if (start === MINUTES_PER_DAY) errors.push({ path: `${path}/start`, message: '24:00 is only an end' });
    else if (end <= start) errors.push({ path: `${path}/end`, message: `must be after the start ${range.start}` });
    else valid.push({ start, end, path });
  }
  valid.sort((a, b) => a.start - b.start || a.end - b.end);
  let previous: (typeof valid)[number] | undefined;
  for (const current of valid) {
    if (previous && current.start < previous.end) {
      errors.push({ path: `${current.path}/start`, message: `overlaps ${wall(previous.start)}–${wall(previous.end)} of the same day` });
    }
    if (!previous || current.end > previous.end) previous = current;
  }
  return errors;
}

function sorted(availability: Availability): Availability {
  const byTime = (a: TimeRange, b: TimeRange) => a.start.localeCompare(b.start) || a.end.localeCompare(b.end);
  return {
    weekly: [...availability.weekly].sort((a, b) => a.weekday - b.weekday || byTime(a, b)).map(({ weekday, start, end }) => ({ weekday, start, end })),
    overrides: [...availability.overrides]
      .sort((a, b) => a.date.localeCompare(b.date))
      .map(({ date, intervals }) => ({ date, intervals: [...intervals].sort(byTime).map(({ start, end }) => ({ start, end })) })),
  };
}

/** `HH:MM` (already checked by the schema) → minutes after midnight; `24:00` is 1440. */
function minutes(wallTime: string): number {
  const [hours, mins] = wallTime.split(':').map(Number);
  return hours! * 60 + mins!;
}

function wall(total: number): string {
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}
