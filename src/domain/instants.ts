/** Instants cross every boundary as UTC ISO strings with milliseconds (API and database alike). */
export function iso(instant: number | Date): string {
  return new Date(instant).toISOString();
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
