/**
 * Every figure in bench/results.md is a median over interleaved rounds, shown with its spread: one
 * round on a 2-core machine can be hit by the other process (load generator, database) or by a GC,
 * and a lone number would hide that.
 */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** Elapsed milliseconds of one call. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** "1,234 (1,100–1,300)": the median, then min–max. */
export function formatSpread(s: Spread, digits = 0, unit = ''): string {
  if (s.n === 0 || Number.isNaN(s.median)) return 'n/a';
  const f = (x: number) => x.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
}

/** The ratio of two medians, as a percentage of the ceiling ("12%"). */
export function ratio(value: Spread, ceiling: Spread): string {
  if (!ceiling.median || Number.isNaN(value.median)) return 'n/a';
  const pct = (100 * value.median) / ceiling.median;
  return `${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`;
}
