import { sql } from 'kysely';
import type { Db } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';

export interface RateBucket {
  /** e.g. `login:dana@example.com` or `ip:203.0.113.9` */
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Fixed-window counters in the database, so a limit holds across server processes.
 * `assertWithinLimits` refuses when a bucket is full; `countHit` records a hit in its own
 * transaction, so it stays counted when the request itself fails.
 */
export async function assertWithinLimits(db: Db, buckets: RateBucket[], now: Date): Promise<void> {
  for (const bucket of buckets) {
    const windowStart = windowStartOf(bucket, now);
    const row = await db.kysely
      .selectFrom('rate_limits')
      .select('count')
      .where('bucket', '=', bucket.key)
      .where('window_start', '=', iso(windowStart))
      .executeTakeFirst();
    if (row && row.count >= bucket.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + bucket.windowMs - now.getTime()) / 1000));
      throw new DomainError('rate_limited', `too many attempts; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
  }
}

export async function countHit(db: Db, buckets: RateBucket[], now: Date): Promise<void> {
  await db.write(async (trx) => {
    for (const bucket of buckets) {
      await trx
        .insertInto('rate_limits')
        .values({ bucket: bucket.key, window_start: iso(windowStartOf(bucket, now)), count: 1 })
        .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
        .execute();
    }
  });
}

function windowStartOf(bucket: RateBucket, now: Date): number {
  return Math.floor(now.getTime() / bucket.windowMs) * bucket.windowMs;
}
