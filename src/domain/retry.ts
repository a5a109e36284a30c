/** Exponential backoff: 1 s, 2 s, 4 s … after each failure in a row, never longer than `capMs`. */
export function retryDelayMs(failures: number, capMs: number): number {
  return Math.min(capMs, 2 ** Math.min(failures, 30) * 1000);
}
