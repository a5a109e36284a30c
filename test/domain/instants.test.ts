import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { iso } from '../../src/domain/instants.js';

describe('iso', () => {
  it('formats exactly as Date#toISOString, whatever the instant', () => {
    const instant = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      fc.integer({ min: 0, max: Date.UTC(10_000, 0, 1) + 1_000 }),
      fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
    );
    fc.assert(fc.property(instant, fc.boolean(), (ms, asDate) => {
      expect(iso(asDate ? new Date(ms) : ms)).toBe(new Date(ms).toISOString());
    }), { numRuns: 20_000 });
  });

  it('refuses an invalid date as Date#toISOString does', () => {
    expect(() => iso(Number.NaN)).toThrow(RangeError);
    expect(() => iso(new Date('not a date'))).toThrow(RangeError);
  });
});
