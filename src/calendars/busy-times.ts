import type ical from 'node-ical';
import { DateTime } from 'luxon';

export interface Interval {
  start: number;
  end: number;
}

/** Busy times are kept this far ahead (slots are offered at most a few months out). */
export const BUSY_HORIZON_DAYS = 90;
/** At most this many busy intervals per calendar (the earliest are kept). */
export const BUSY_INTERVALS_MAX = 5_000;

/**
 * The busy intervals of an iCalendar file between two instants: recurring events expanded by
 * node-ical (RRULE, EXDATE, RECURRENCE-ID overrides, time zones and their DST changes), free
 * (TRANSPARENT) and cancelled events left out, all-day events taken as whole days of `timeZone`,
 * overlapping intervals merged. An event whose rule cannot be expanded (node-ical stops after
 * 10,000 iterations, e.g. FREQ=MINUTELY) is left out and counted in `skipped`.
 * Rejects if the text is not iCalendar. node-ical is loaded on first use: only practices that
 * import a calendar need it, and it costs a tenth of a second of every start-up otherwise.
 */
export async function busyIntervals(icsText: string, range: Interval, timeZone: string): Promise<{ intervals: Interval[]; skipped: number }> {
  if (!/BEGIN:VCALENDAR/i.test(icsText)) throw new Error('not an iCalendar file');
  const { default: ical } = await import('node-ical');
  const parsed = ical.sync.parseICS(icsText);
  const found: Interval[] = [];
  let skipped = 0;
  for (const component of Object.values(parsed)) {
    if (!component || component.type !== 'VEVENT') continue;
    if (component.transparency === 'TRANSPARENT' || component.status === 'CANCELLED') continue;
    let instances: ical.EventInstance[];
    try {
      instances = ical.expandRecurringEvent(component, { from: new Date(range.start), to: new Date(range.end), expandOngoing: true });
    } catch {
      skipped++;
      continue;
    }
    for (const instance of instances) {
      if (instance.event.transparency === 'TRANSPARENT' || instance.event.status === 'CANCELLED') continue;
      const interval = instance.isFullDay ? wholeDays(instance.start, instance.end, timeZone) : { start: instance.start.getTime(), end: instance.end.getTime() };
      const start = Math.max(interval.start, range.start);
      const end = Math.min(interval.end, range.end);
      if (Number.isFinite(start) && Number.isFinite(end) && start < end) found.push({ start, end });
    }
  }
  return { intervals: merge(found).slice(0, BUSY_INTERVALS_MAX), skipped };
}

/** node-ical gives an all-day date as local midnight of this process; it means that day in the practice's zone. */
function wholeDays(start: Date, end: Date, timeZone: string): Interval {
  const at = (d: Date) => DateTime.fromObject({ year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate() }, { zone: timeZone }).toMillis();
  const from = at(start);
  const to = end.getTime() > start.getTime() ? at(end) : DateTime.fromMillis(from, { zone: timeZone }).plus({ days: 1 }).toMillis();
  return { start: from, end: to };
}

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged.at(-1);
    if (last && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
    else merged.push({ ...interval });
  }
  return merged;
}
