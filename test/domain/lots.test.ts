import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { chooseLots, coverage, isLotEligible, lotExpiresAt, type LotState } from '../../src/domain/lots.js';

const at = (iso: string): number => Date.parse(iso);
const SESSION = at('2026-04-10T09:00:00Z');

function lot(id: string, fields: Partial<LotState> = {}): LotState {
  return { id, available: 1, expiresAt: null, serviceIds: null, createdAt: at('2026-01-01T00:00:00Z'), ...fields };
}

describe('isLotEligible', () => {
  it.each<[string, Partial<LotState>, boolean]>([
    ['a never-expiring lot for every service pays', {}, true],
    ['an empty lot does not pay', { available: 0 }, false],
    ['a lot expiring after the session start pays', { expiresAt: SESSION + 1 }, true],
    ['a lot expiring exactly at the session start does not pay', { expiresAt: SESSION }, false],
    ['a lot expiring before the session does not pay', { expiresAt: SESSION - 1 }, false],
    ['a lot restricted to this service pays', { serviceIds: ['yoga', 'massage'] }, true],
    ['a lot restricted to other services does not pay', { serviceIds: ['massage'] }, false],
    ['a lot restricted to no service does not pay', { serviceIds: [] }, false],
  ])('%s', (_story, fields, expected) => {
    expect(isLotEligible(lot('L', fields), 'yoga', SESSION)).toBe(expected);
  });
});

describe('chooseLots', () => {
  it('draws from the lot expiring first', () => {
    const lots = [lot('later', { expiresAt: at('2026-06-01T00:00:00Z') }), lot('sooner', { expiresAt: at('2026-05-01T00:00:00Z') })];
    expect(chooseLots(lots, 'yoga', SESSION, 1)).toEqual([{ lotId: 'sooner', credits: 1 }]);
  });

  it('draws from a never-expiring lot last', () => {
    const lots = [lot('forever', { createdAt: 0 }), lot('dated', { expiresAt: at('2027-01-01T00:00:00Z') })];
    expect(chooseLots(lots, 'yoga', SESSION, 1)).toEqual([{ lotId: 'dated', credits: 1 }]);
  });

  it('breaks an expiry tie by the older lot, then by id', () => {
    const expiresAt = at('2026-05-01T00:00:00Z');
    const lots = [lot('b', { expiresAt, createdAt: 5 }), lot('c', { expiresAt, createdAt: 1 }), lot('a', { expiresAt, createdAt: 5 })];
    expect(chooseLots(lots, 'yoga', SESSION, 3)).toEqual([
      { lotId: 'c', credits: 1 },
      { lotId: 'a', credits: 1 },
      { lotId: 'b', credits: 1 },
    ]);
  });

  it('spans two lots for a cost of 2 when the first holds only one credit', () => {
    const lots = [lot('big', { available: 5, expiresAt: at('2026-07-01T00:00:00Z') }), lot('last', { available: 1, expiresAt: at('2026-05-01T00:00:00Z') })];
    expect(chooseLots(lots, 'yoga', SESSION, 2)).toEqual([
      { lotId: 'last', credits: 1 },
      { lotId: 'big', credits: 1 },
    ]);
  });

  it('takes a cost of 2 from one lot when it can', () => {
    expect(chooseLots([lot('L', { available: 3 })], 'yoga', SESSION, 2)).toEqual([{ lotId: 'L', credits: 2 }]);
  });

  it('does not use a lot that expires before the session, even if it expires first', () => {
    const lots = [lot('stale', { expiresAt: SESSION }), lot('fresh', { expiresAt: SESSION + 86_400_000 })];
    expect(chooseLots(lots, 'yoga', SESSION, 1)).toEqual([{ lotId: 'fresh', credits: 1 }]);
  });

  it('skips lots restricted to other services', () => {
    const lots = [lot('massage-only', { serviceIds: ['massage'], expiresAt: SESSION + 1 }), lot('any')];
    expect(chooseLots(lots, 'yoga', SESSION, 1)).toEqual([{ lotId: 'any', credits: 1 }]);
  });

  it('refuses the 6th session of a 5-session package', () => {
    expect(chooseLots([lot('pkg', { available: 0 })], 'yoga', SESSION, 1)).toBeNull();
  });

  it('refuses when eligible lots together hold less than the cost', () => {
    expect(chooseLots([lot('a'), lot('b', { serviceIds: ['massage'], available: 5 })], 'yoga', SESSION, 2)).toBeNull();
  });

  it('draws nothing for a session that costs no credits', () => {
    expect(chooseLots([], 'yoga', SESSION, 0)).toEqual([]);
  });
});

describe('coverage', () => {
  it('counts the credits that could pay this service at that time', () => {
    const lots = [
      lot('a', { available: 2 }),
      lot('b', { available: 3, expiresAt: SESSION }),
      lot('c', { available: 4, serviceIds: ['massage'] }),
      lot('d', { available: 1, serviceIds: ['yoga'], expiresAt: SESSION + 1 }),
    ];
    expect(coverage(lots, 'yoga', SESSION)).toBe(3);
    expect(coverage(lots, 'yoga', SESSION - 1)).toBe(6);
    expect(coverage(lots, 'massage', SESSION)).toBe(6);
  });
});

describe('lotExpiresAt', () => {
  it('never expires without a validity', () => {
    expect(lotExpiresAt(at('2026-03-20T10:00:00Z'), null, 'Europe/Berlin')).toBeNull();
  });

  it('ends at the end of the local day, across the spring DST change in Berlin', () => {
    expect(lotExpiresAt(at('2026-03-20T10:00:00Z'), 10, 'Europe/Berlin')).toBe(at('2026-03-30T21:59:59.999Z'));
  });

  it('ends at the end of the local day before the change (winter time)', () => {
    expect(lotExpiresAt(at('2026-03-20T10:00:00Z'), 5, 'Europe/Berlin')).toBe(at('2026-03-25T22:59:59.999Z'));
  });

  it('counts days in the practice time zone, not UTC', () => {
    // 23:30 UTC on the 20th is already the 21st in Tokyo.
    expect(lotExpiresAt(at('2026-03-20T23:30:00Z'), 1, 'Asia/Tokyo')).toBe(at('2026-03-22T14:59:59.999Z'));
  });

  it('refuses an unknown time zone as a programmer error', () => {
    expect(() => lotExpiresAt(0, 1, 'Mars/Olympus')).toThrow(/invariant violated/);
  });
});

describe('chooseLots property', () => {
  const SERVICES = ['yoga', 'massage', 'pilates'];
  const lotsArb = fc.uniqueArray(
    fc.record({
      id: fc.string({ minLength: 1, maxLength: 4 }),
      available: fc.integer({ min: 0, max: 5 }),
      expiresAt: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
      serviceIds: fc.option(fc.subarray(SERVICES), { nil: null }),
      createdAt: fc.integer({ min: 0, max: 10 }),
    }),
    { selector: (l) => l.id, maxLength: 8 },
  );

  it('draws exactly the cost within each lot, or returns null exactly when coverage falls short', () => {
    fc.assert(
      fc.property(lotsArb, fc.constantFrom(...SERVICES), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 12 }), (lots, serviceId, start, cost) => {
        const draws = chooseLots(lots, serviceId, start, cost);
        const covered = coverage(lots, serviceId, start);
        if (covered < cost) {
          expect(draws).toBeNull();
          return;
        }
        expect(draws).not.toBeNull();
        const byId = new Map(lots.map((l) => [l.id, l]));
        const ids = draws!.map((d) => d.lotId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(draws!.reduce((sum, d) => sum + d.credits, 0)).toBe(cost);
        for (const d of draws!) {
          const drawn = byId.get(d.lotId)!;
          expect(isLotEligible(drawn, serviceId, start)).toBe(true);
          expect(d.credits).toBeGreaterThan(0);
          expect(d.credits).toBeLessThanOrEqual(drawn.available);
        }
        // FIFO: no eligible lot left untouched expires before a lot that was drawn.
        const latestDrawn = Math.max(...draws!.map((d) => byId.get(d.lotId)!.expiresAt ?? Infinity));
        for (const l of lots) {
          if (isLotEligible(l, serviceId, start) && !ids.includes(l.id)) {
            expect(l.expiresAt ?? Infinity).toBeGreaterThanOrEqual(latestDrawn);
          }
        }
      }),
    );
  });
});
