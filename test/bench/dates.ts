import { DateTime } from 'luxon';

/** A local date this many days later ('YYYY-MM-DD'). */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'utc' }).plus({ days }).toISODate()!;
}
