/**
 * Idempotency keys for the web app's writes (review S5). A key belongs to one choice (this slot of
 * this service, this package, this booking's new time) and is kept until the server's answer is
 * definitive: any 2xx or 4xx. A network error or a 5xx leaves it unknown whether the write
 * happened, so the retry of the same choice sends the same key and the server answers what it
 * did the first time: a purchase whose response was lost, retried, is one purchase. Changing the
 * choice sends another key. No imports, so it is unit-tested without a browser.
 */

export function newIdempotencyKey(): string {
  return typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** A 2xx (no error) or a 4xx: the server decided. A network error (status 0), a 5xx or an abort: unknown. */
export function isDefinitive(error: unknown): boolean {
  if (error === undefined) return true;
  const status = typeof error === 'object' && error !== null && 'status' in error ? (error as { status: unknown }).status : undefined;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** At most this many undecided choices are remembered (the oldest is forgotten first). */
export const UNDECIDED_CHOICES_MAX = 50;

export interface IdempotencyKeys {
  /**
   * Sends `request` with the key of `choice` (any JSON value: the route and what was chosen). The
   * same choice gets the same key until an answer for it is definitive; then the next send of it
   * is a new request with a new key.
   */
  send<T>(choice: unknown, request: (key: string) => Promise<T>): Promise<T>;
  /** The key the next send of `choice` would use, if one is kept. */
  pending(choice: unknown): string | undefined;
}

export function idempotencyKeys(newKey: () => string = newIdempotencyKey): IdempotencyKeys {
  const keys = new Map<string, string>();
  return {
    async send(choice, request) {
      const id = JSON.stringify(choice);
      let key = keys.get(id);
      if (key === undefined) {
        key = newKey();
        keys.set(id, key);
        if (keys.size > UNDECIDED_CHOICES_MAX) keys.delete(keys.keys().next().value!);
      }
      try {
        const result = await request(key);
        if (keys.get(id) === key) keys.delete(id);
        return result;
      } catch (error) {
        if (isDefinitive(error) && keys.get(id) === key) keys.delete(id);
        throw error;
      }
    },
    pending: (choice) => keys.get(JSON.stringify(choice)),
  };
}

/**
 * The app's one set of keys: the booking page and the portal share it, so a purchase retried from
 * the other screen (same single-page app, no reload) is still the same purchase.
 */
export const writeKeys = idempotencyKeys();
