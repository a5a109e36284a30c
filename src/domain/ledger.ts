/**
 * The credit ledger (DESIGN.md "The credit ledger"): a lot's buckets are the sums of its immutable
 * entries. A copy is stored beside each lot for reading, moved in the transaction that appends each
 * entry and checked against the sums by verify. The one table of moves, BUCKET_DELTAS, is shared
 * with SQL aggregates so the database and the domain cannot disagree.
 */
import { assert } from './errors.js';

export type EntryKind = 'grant' | 'hold' | 'release' | 'consume' | 'forfeit' | 'restore' | 'expire' | 'revoke' | 'adjust';

export const ENTRY_KINDS: readonly EntryKind[] = [
  'grant', 'hold', 'release', 'consume', 'forfeit', 'restore', 'expire', 'revoke', 'adjust',
];

/** `amount` is a positive count of credits, except for `adjust`, where its sign is the direction. */
export interface EntryAmount {
  kind: EntryKind;
  amount: number;
}

export interface Buckets {
  granted: number;
  available: number;
  held: number;
  used: number;
  expired: number;
}

/** Most credits one grant, package or adjustment may carry. */
export const CREDITS_MAX = 1000;

type Delta = Buckets;

/** Per-credit movement of each kind. For `adjust` this is the movement of +1; multiply by the signed amount. */
export const BUCKET_DELTAS: Readonly<Record<EntryKind, Readonly<Delta>>> = {
  grant: { granted: 1, available: 1, held: 0, used: 0, expired: 0 },
  hold: { granted: 0, available: -1, held: 1, used: 0, expired: 0 },
  release: { granted: 0, available: 1, held: -1, used: 0, expired: 0 },
  consume: { granted: 0, available: 0, held: -1, used: 1, expired: 0 },
  forfeit: { granted: 0, available: 0, held: -1, used: 1, expired: 0 },
  restore: { granted: 0, available: 1, held: 0, used: -1, expired: 0 },
  expire: { granted: 0, available: -1, held: 0, used: 0, expired: 1 },
  revoke: { granted: 0, available: -1, held: 0, used: 0, expired: 1 },
  adjust: { granted: 1, available: 1, held: 0, used: 0, expired: 0 },
};

export const EMPTY_BUCKETS: Readonly<Buckets> = { granted: 0, available: 0, held: 0, used: 0, expired: 0 };

/** The buckets of one lot, summed from its entries. Does not judge them: see lotViolations. */
export function bucketsOf(entries: Iterable<EntryAmount>): Buckets {
  const b: Buckets = { ...EMPTY_BUCKETS };
  for (const { kind, amount } of entries) {
    assert(Number.isSafeInteger(amount), `ledger amount is an integer, got ${amount}`);
    assert(kind === 'adjust' ? amount !== 0 : amount > 0, `a ${kind} entry moves a positive amount, got ${amount}`);
    const d = BUCKET_DELTAS[kind];
    b.granted += d.granted * amount;
    b.available += d.available * amount;
    b.held += d.held * amount;
    b.used += d.used * amount;
    b.expired += d.expired * amount;
  }
  return b;
}

/** Every broken invariant of a lot, in words; empty when the lot is sound. */
export function lotViolations(b: Buckets): string[] {
  const problems: string[] = [];
  const total = b.available + b.held + b.used + b.expired;
  if (b.granted !== total) {
    problems.push(
      `granted ${b.granted} ≠ available ${b.available} + held ${b.held} + used ${b.used} + expired ${b.expired} (= ${total})`,
    );
  }
  for (const name of ['granted', 'available', 'held', 'used', 'expired'] as const) {
    if (b[name] < 0) problems.push(`${name} is negative (${b[name]})`);
  }
  return problems;
}
