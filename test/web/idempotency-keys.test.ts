import { describe, expect, it } from 'vitest';
import { idempotencyKeys, isDefinitive, UNDECIDED_CHOICES_MAX } from '../../web/src/idempotency.js';

/** The web app's idempotency keys (review S5): kept until a definitive answer, renewed when the choice changes. */

const answer = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });

function counter() {
  let n = 0;
  return () => `key-${++n}`;
}

async function sent(keys: ReturnType<typeof idempotencyKeys>, choice: unknown, outcome: 'ok' | number): Promise<string> {
  let used = '';
  await keys
    .send(choice, async (key) => {
      used = key;
      if (outcome !== 'ok') throw answer(outcome);
      return 'done';
    })
    .catch(() => undefined);
  return used;
}

describe('idempotency keys in the web app', () => {
  it('calls a 2xx (no error) or a 4xx definitive, and a network error (0), a 5xx or an abort not', () => {
    expect(isDefinitive(undefined)).toBe(true);
    expect([400, 401, 402, 404, 409, 422, 499].map((s) => isDefinitive(answer(s)))).toEqual(Array(7).fill(true));
    expect([0, 500, 502, 503].map((s) => isDefinitive(answer(s)))).toEqual([false, false, false, false]);
    expect(isDefinitive(new DOMException('aborted', 'AbortError'))).toBe(false);
    expect(isDefinitive(new TypeError('Failed to fetch'))).toBe(false);
  });

  it('retries a network error or a 5xx with the same key, so a lost response retried is one write', async () => {
    const keys = idempotencyKeys(counter());
    const choice = { route: 'POST /me/purchases', packageId: 'p1' };
    expect(await sent(keys, choice, 0)).toBe('key-1');
    expect(await sent(keys, choice, 503)).toBe('key-1');
    expect(await sent(keys, choice, 'ok')).toBe('key-1');
    // Answered: buying the same package again is a new purchase.
    expect(await sent(keys, choice, 'ok')).toBe('key-2');
  });

  it('renews the key after a 4xx, whose answer is final (a 402 turns into "buy a package", then the booking is new)', async () => {
    const keys = idempotencyKeys(counter());
    const booking = { route: 'POST /me/bookings', serviceId: 's1', start: '2026-03-04T10:00:00.000Z' };
    expect(await sent(keys, booking, 402)).toBe('key-1');
    expect(keys.pending(booking)).toBeUndefined();
    expect(await sent(keys, booking, 'ok')).toBe('key-2');
  });

  it('gives another choice another key, and keeps the undecided one’s key for when it is chosen again', async () => {
    const keys = idempotencyKeys(counter());
    const at = (start: string) => ({ route: 'POST /me/bookings', serviceId: 's1', start });
    expect(await sent(keys, at('10:00'), 0)).toBe('key-1');
    expect(await sent(keys, at('11:00'), 0)).toBe('key-2');
    expect(await sent(keys, { ...at('11:00'), serviceId: 's2' }, 0)).toBe('key-3');
    expect(await sent(keys, at('10:00'), 'ok')).toBe('key-1');
    expect(keys.pending(at('11:00'))).toBe('key-2');
  });

  it('remembers a bounded number of undecided choices', async () => {
    const keys = idempotencyKeys(counter());
    for (let i = 0; i <= UNDECIDED_CHOICES_MAX; i++) await sent(keys, { i }, 0);
    expect(keys.pending({ i: 0 })).toBeUndefined();
    expect(keys.pending({ i: 1 })).toBe('key-2');
    expect(keys.pending({ i: UNDECIDED_CHOICES_MAX })).toBe(`key-${UNDECIDED_CHOICES_MAX + 1}`);
  });
});
