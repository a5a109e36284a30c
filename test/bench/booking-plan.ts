/**
 * Which slot and which client the n-th booking of a run takes. The load worker (HTTP) and the
 * ceiling replays share it, so every booking lands on a free, distinct slot and the calendar fills
 * evenly: consecutive bookings go to consecutive days, so each booking's slot check reads about as
 * many neighbouring bookings as any other at that point of the run.
 *
 * The practice's time zone is UTC and it is open 07:00–21:00 every day; the service is 15 minutes,
 * one seat, every 15 minutes, up to MAX_ADVANCE_DAYS ahead.
 */
export const DAY_MS = 86_400_000;
export const MAX_ADVANCE_DAYS = 730;
export const OPEN_HOUR_UTC = 7;
export const SESSION_MINUTES = 15;
export const SLOTS_PER_DAY = ((21 - OPEN_HOUR_UTC) * 60) / SESSION_MINUTES;
/** Days used: from two days ahead (clear of min notice and "today"), inside the advance window. */
export const PLAN_DAYS = MAX_ADVANCE_DAYS - 4;
export const PLAN_CAPACITY = PLAN_DAYS * SLOTS_PER_DAY;

export interface BookingPlan {
  serviceId: string;
  /** UTC midnight of the first day used. */
  firstDayMs: number;
  /** Bearer tokens of the clients, in client order. */
  tokens: string[];
}

export function planStart(firstDayMs: number, n: number): number {
  if (n >= PLAN_CAPACITY) throw new Error(`booking ${n} is past the ${PLAN_CAPACITY} slots of the plan`);
  const day = n % PLAN_DAYS;
  const slot = Math.floor(n / PLAN_DAYS);
  return firstDayMs + day * DAY_MS + OPEN_HOUR_UTC * 3_600_000 + slot * SESSION_MINUTES * 60_000;
}

/** The client of the n-th booking: round robin, so a client's bookings never share a slot. */
export function planClient(clientCount: number, n: number): number {
  return n % clientCount;
}

export function firstPlanDay(nowMs: number): number {
  return Math.floor(nowMs / DAY_MS) * DAY_MS + 2 * DAY_MS;
}
