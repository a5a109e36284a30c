import { assert } from './errors.js';

/**
 * What refunding `credits` more of a package returns: the price × credits / package credits,
 * rounded down to the minor unit. Counted cumulatively (what the credits refunded so far plus these
 * are worth, less what those refunded so far were worth), so refunding every credit in several
 * steps returns exactly the price, never a minor unit less.
 */
export function proRataRefund(price: number, packageCredits: number, refundedCreditsBefore: number, credits: number): number {
  assert(packageCredits > 0 && credits >= 0 && refundedCreditsBefore >= 0 && refundedCreditsBefore + credits <= packageCredits, 'refund within the package');
  const worth = (n: number) => Math.floor((price * n) / packageCredits);
  return worth(refundedCreditsBefore + credits) - worth(refundedCreditsBefore);
}

/**
 * The credits a refunded amount pays back: the most credits whose pro-rata worth is no more than
 * it (a refund made in Stripe's dashboard is reconciled with this).
 */
export function creditsCoveredBy(price: number, packageCredits: number, refundedAmount: number): number {
  if (price <= 0) return packageCredits;
  let n = Math.min(packageCredits, Math.floor((refundedAmount * packageCredits) / price) + 1);
  while (n > 0 && Math.floor((price * n) / packageCredits) > refundedAmount) n--;
  return n;
}
