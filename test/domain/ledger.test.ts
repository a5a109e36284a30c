import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  BUCKET_DELTAS,
  ENTRY_KINDS,
  bucketsOf,
  lotViolations,
  type Buckets,
  type EntryAmount,
  type EntryKind,
} from '../../src/domain/ledger.js';

describe('bucketsOf', () => {
  it('tells the story of a 5-session package after three sessions and one upcoming booking', () => {
    const entries: EntryAmount[] = [
      { kind: 'grant', amount: 5 },
      ...Array.from({ length: 3 }, () => [{ kind: 'hold', amount: 1 }, { kind: 'consume', amount: 1 }] as const).flat(),
      { kind: 'hold', amount: 1 },
    ];
    expect(bucketsOf(entries)).toEqual({ granted: 5, available: 1, held: 1, used: 3, expired: 0 });
  });

  it.each<[string, EntryAmount[], Buckets]>([
    ['a grant adds available credits', [{ kind: 'grant', amount: 3 }], { granted: 3, available: 3, held: 0, used: 0, expired: 0 }],
    ['a hold moves available to held', [{ kind: 'grant', amount: 3 }, { kind: 'hold', amount: 2 }], { granted: 3, available: 1, held: 2, used: 0, expired: 0 }],
    ['a release gives held credits back', [{ kind: 'grant', amount: 3 }, { kind: 'hold', amount: 2 }, { kind: 'release', amount: 2 }], { granted: 3, available: 3, held: 0, used: 0, expired: 0 }],
    ['a forfeit uses held credits', [{ kind: 'grant', amount: 1 }, { kind: 'hold', amount: 1 }, { kind: 'forfeit', amount: 1 }], { granted: 1, available: 0, held: 0, used: 1, expired: 0 }],
    ['a restore waives a forfeit', [{ kind: 'grant', amount: 1 }, { kind: 'hold', amount: 1 }, { kind: 'forfeit', amount: 1 }, { kind: 'restore', amount: 1 }], { granted: 1, available: 1, held: 0, used: 0, expired: 0 }],
    ['an expiry empties what is available', [{ kind: 'grant', amount: 4 }, { kind: 'expire', amount: 4 }], { granted: 4, available: 0, held: 0, used: 0, expired: 4 }],
    ['a revoke empties what is available', [{ kind: 'grant', amount: 4 }, { kind: 'revoke', amount: 3 }], { granted: 4, available: 1, held: 0, used: 0, expired: 3 }],
    ['a positive adjustment grants more', [{ kind: 'grant', amount: 2 }, { kind: 'adjust', amount: 3 }], { granted: 5, available: 5, held: 0, used: 0, expired: 0 }],
    ['a negative adjustment takes credits away', [{ kind: 'grant', amount: 2 }, { kind: 'adjust', amount: -2 }], { granted: 0, available: 0, held: 0, used: 0, expired: 0 }],
  ])('%s', (_story, entries, expected) => {
    expect(bucketsOf(entries)).toEqual(expected);
    expect(lotViolations(bucketsOf(entries))).toEqual([]);
  });

  it('refuses an entry with a non-positive amount as a programmer error', () => {
    expect(() => bucketsOf([{ kind: 'hold', amount: -1 }])).toThrow(/invariant violated/);
    expect(() => bucketsOf([{ kind: 'grant', amount: 1.5 }])).toThrow(/invariant violated/);
    expect(() => bucketsOf([{ kind: 'adjust', amount: 0 }])).toThrow(/invariant violated/);
  });
});

describe('BUCKET_DELTAS', () => {
  it.each(ENTRY_KINDS)('keeps granted = available + held + used + expired for a %s', (kind) => {
    const d = BUCKET_DELTAS[kind];
    expect(d.available + d.held + d.used + d.expired).toBe(d.granted);
  });

  it('covers every entry kind', () => {
    expect(Object.keys(BUCKET_DELTAS).sort()).toEqual([...ENTRY_KINDS].sort());
  });
});

describe('lotViolations', () => {
  it('reports a lot whose buckets do not add up to what was granted', () => {
    expect(lotViolations({ granted: 5, available: 1, held: 1, used: 1, expired: 1 })).toEqual([
      'granted 5 ≠ available 1 + held 1 + used 1 + expired 1 (= 4)',
    ]);
  });

  it('reports a hold of more credits than were available', () => {
    const b = bucketsOf([{ kind: 'grant', amount: 1 }, { kind: 'hold', amount: 2 }]);
    expect(lotViolations(b)).toEqual(['available is negative (-1)']);
  });

  it('reports a negative adjustment larger than the grant', () => {
    const b = bucketsOf([{ kind: 'grant', amount: 1 }, { kind: 'adjust', amount: -2 }]);
    expect(lotViolations(b)).toEqual(['granted is negative (-1)', 'available is negative (-1)']);
  });
});

describe('ledger property', () => {
  /** An independent model of the DESIGN table: each kind moves credits from one bucket (null: from outside) to another. */
  const moves: Record<EntryKind, [from: keyof Buckets | null, to: keyof Buckets]> = {
    grant: [null, 'available'], adjust: [null, 'available'], hold: ['available', 'held'], release: ['held', 'available'],
    consume: ['held', 'used'], forfeit: ['held', 'used'], restore: ['used', 'available'],
    expire: ['available', 'expired'], revoke: ['available', 'expired'],
  };

  const move = fc.record({ kind: fc.constantFrom(...ENTRY_KINDS), amount: fc.integer({ min: 1, max: 20 }), negative: fc.boolean() });

  it('keeps every lot sound under any sequence of moves that respects availability', () => {
    fc.assert(
      fc.property(fc.array(move, { maxLength: 60 }), (sequence) => {
        const entries: EntryAmount[] = [];
        const model: Buckets = { granted: 0, available: 0, held: 0, used: 0, expired: 0 };
        for (const { kind, amount, negative } of sequence) {
          const [from, to] = moves[kind];
          // Respect availability: never take more than the source bucket holds.
          let signed = from === null ? amount : Math.min(amount, model[from]);
          if (kind === 'adjust' && negative) signed = -Math.min(amount, model.available);
          if (signed === 0) continue;
          entries.push({ kind, amount: signed });
          if (from === null) model.granted += signed;
          else model[from] -= signed;
          model[to] += signed;
        }
        const b = bucketsOf(entries);
        expect(b).toEqual(model);
        expect(lotViolations(b)).toEqual([]);
      }),
    );
  });
});
