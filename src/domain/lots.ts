/** Which credit lots pay for a session (DESIGN.md "Which lot pays"), and when a lot expires. */
import { DateTime } from 'luxon';
import { assert } from './errors.js';

export interface LotState {
  id: string;
  available: number;
  /** The lot pays only for sessions starting strictly before this instant; null = never expires. */
  expiresAt: number | null;
  /** null = every service. */
  serviceIds: string[] | null;
  createdAt: number;
}

export interface Draw {
  lotId: string;
  credits: number;
}

/** Longest validity a package or grant may have (ten years). */
export const VALIDITY_DAYS_MAX = 3660;

export function isLotEligible(lot: LotState, serviceId: string, sessionStart: number): boolean {
  return (
    lot.available > 0 &&
    (lot.serviceIds === null || lot.serviceIds.includes(serviceId)) &&
    (lot.expiresAt === null || sessionStart < lot.expiresAt)
  );
}

/** Earliest expiry first, never-expiring last; ties by age, then id, so the choice is deterministic. */
function payingOrder(a: LotState, b: LotState): number {
  const aExpiresAt = a.expiresAt ?? Infinity;
  const bExpiresAt = b.expiresAt ?? Infinity;
  if (aExpiresAt !== bExpiresAt) return aExpiresAt < bExpiresAt ? -1 : 1;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The draws that pay `creditCost` FIFO by expiry, possibly across lots; null when the eligible lots cannot cover it. */
export function chooseLots(lots: LotState[], serviceId: string, sessionStart: number, creditCost: number): Draw[] | null {
  assert(Number.isSafeInteger(creditCost) && creditCost >= 0, `creditCost is a non-negative integer, got ${creditCost}`);
  const eligible = lots.filter((lot) => isLotEligible(lot, serviceId, sessionStart)).sort(payingOrder);
  const draws: Draw[] = [];
  let owed = creditCost;
  for (const lot of eligible) {
    if (owed === 0) break;
    const credits = Math.min(owed, lot.available);
    draws.push({ lotId: lot.id, credits });
    owed -= credits;
  }
  return owed === 0 ? draws : null;
}

/** Credits that could pay this service for a session starting at `at`. */
export function coverage(lots: LotState[], serviceId: string, at: number): number {
  return lots.reduce((sum, lot) => (isLotEligible(lot, serviceId, at) ? sum + lot.available : sum), 0);
}

/** The end of the practice's local day that falls `validityDays` after the grant (calendar days, so DST-safe). */
export function lotExpiresAt(grantedAt: number, validityDays: number | null, timeZone: string): number | null {
  if (validityDays === null) return null;
  assert(
    Number.isSafeInteger(validityDays) && validityDays >= 0 && validityDays <= VALIDITY_DAYS_MAX,
    `validityDays is an integer in 0..${VALIDITY_DAYS_MAX}, got ${validityDays}`,
  );
  const end = DateTime.fromMillis(grantedAt, { zone: timeZone }).plus({ days: validityDays }).endOf('day');
  assert(end.isValid, `cannot compute an expiry in time zone "${timeZone}": ${end.invalidExplanation ?? ''}`);
  return end.toMillis();
}
