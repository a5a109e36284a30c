import { sql } from 'kysely';
import type { Db } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';

export interface RateBucket {
  /** e.g. `login:dana@example.com|203.0.113.9` or `ip:203.0.113.9` */
  key: string;
  limit: number;
  windowMs: number;
}

/** A slot taken in each of some buckets; `release` gives it back (a success that must not count). */
export interface Reservation {
  release(): Promise<void>;
}

/**
 * Fixed-window counters in the database, so a limit holds across server processes. Taking a slot
 * is one upsert per bucket that counts and reads the count in the same statement, all buckets in
 * one transaction: N concurrent requests can never all see a bucket "not yet full" (check-then-act).
 * A refused request rolls back, so it uses none of the other buckets' slots either.
 */
export async function reserve(db: Db, buckets: RateBucket[], now: Date): Promise<Reservation> {
  await db.write(async (trx) => {
    for (const bucket of buckets) {
      const windowStart = windowStartOf(bucket, now);
      const { count } = await trx
        .insertInto('rate_limits')
        .values({ bucket: bucket.key, window_start: iso(windowStart), count: 1 })
        .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
        .returning('count')
        .executeTakeFirstOrThrow();
      if (count > bucket.limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + bucket.windowMs - now.getTime()) / 1000));
        throw new DomainError('rate_limited', `too many attempts; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
    }
  });
  return {
    release: () =>
      db.write(async (trx) => {
        for (const bucket of buckets) {
          await trx
            .updateTable('rate_limits')
            .set({ count: sql`count - 1` })
            .where('bucket', '=', bucket.key)
            .where('window_start', '=', iso(windowStartOf(bucket, now)))
            .where('count', '>', 0)
            .execute();
        }
      }),
  };
}

function windowStartOf(bucket: RateBucket, now: Date): number {
  return Math.floor(now.getTime() / bucket.windowMs) * bucket.windowMs;
}
