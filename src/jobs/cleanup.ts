import type { DeleteResult } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import { DAY_MS, HOUR_MS, iso, MINUTE_MS } from '../domain/instants.js';

/** How often the sweep runs. */
export const CLEANUP_EVERY_MS = 10 * MINUTE_MS;
/** Rows deleted per statement: each batch is its own short transaction, so no sweep holds a lock for long. */
export const CLEANUP_BATCH_ROWS = 500;
/** Batches per table per sweep: a large backlog drains over several sweeps instead of stalling the job runner. */
export const CLEANUP_BATCHES_MAX = 20;
/** API.md promises idempotency keys are kept at least 24 h. */
export const IDEMPOTENCY_KEY_KEPT_HOURS = 24;
/**
 * Rate-limit rows do not store their window's length; a row older than every window any bucket
 * uses (the longest today is 15 minutes per account) counts nothing any more.
 */
export const RATE_LIMIT_ROW_KEPT_MS = DAY_MS;

type Deletion = { executeTakeFirst(): Promise<DeleteResult> };

export interface CleanupLimits {
  /** Sent mail and done jobs are kept this long (RETENTION_DAYS). */
  retentionDays: number;
  batchRows?: number;
  batchesMax?: number;
}

/** Rows deleted per table by one sweep. */
export type Swept = Record<'idempotencyKeys' | 'rateLimits' | 'sessions' | 'loginCodes' | 'passwordResets' | 'memberInvitations' | 'jobs' | 'mail', number>;

/**
 * Deletes what nothing needs any more (S11): idempotency keys past their 24 h, rate-limit rows whose
 * window has passed, expired sessions, expired or used sign-in codes, reset links and invitation links, and — after
 * the retention — finished jobs and mail that went out (or was kept without SMTP, or cancelled by an
 * erasure), which hold personal data. Pending and failed jobs and mail stay: they are still to do,
 * or an operator's to look at. A done job's dedupe key is freed with it, which is safe: every one-off
 * key names a booking's sequence, a lot or a calendar once, and recurring jobs are never done.
 */
export async function cleanUp(db: Db, limits: CleanupLimits, now: Date): Promise<Swept> {
  const batchRows = limits.batchRows ?? CLEANUP_BATCH_ROWS;
  const batchesMax = limits.batchesMax ?? CLEANUP_BATCHES_MAX;
  /** Runs one bounded DELETE per transaction until a batch comes back short, or the sweep's share is used. */
  const inBatches = async (batch: (trx: Trx, limit: number) => Deletion): Promise<number> => {
    let total = 0;
    for (let i = 0; i < batchesMax; i++) {
      const deleted = Number(await db.write(async (trx) => (await batch(trx, batchRows).executeTakeFirst()).numDeletedRows));
      total += deleted;
      if (deleted < batchRows) break;
    }
    return total;
  };
  const nowIso = iso(now);
  const retainedSince = iso(now.getTime() - limits.retentionDays * DAY_MS);
  const keysSince = iso(now.getTime() - IDEMPOTENCY_KEY_KEPT_HOURS * HOUR_MS);
  const windowsSince = iso(now.getTime() - RATE_LIMIT_ROW_KEPT_MS);

  return {
    idempotencyKeys: await inBatches((trx, limit) =>
      trx.deleteFrom('idempotency_keys').where('scope', 'in', trx.selectFrom('idempotency_keys').select('scope').where('created_at', '<', keysSince).limit(limit)),
    ),
    rateLimits: await inBatches((trx, limit) =>
      trx
        .deleteFrom('rate_limits')
        .where(({ eb, refTuple }) =>
          eb(refTuple('bucket', 'window_start'), 'in', trx.selectFrom('rate_limits').select(['bucket', 'window_start']).where('window_start', '<', windowsSince).limit(limit).$asTuple('bucket', 'window_start')),
        ),
    ),
    sessions: await inBatches((trx, limit) =>
      trx.deleteFrom('sessions').where('token_hash', 'in', trx.selectFrom('sessions').select('token_hash').where('expires_at', '<=', nowIso).limit(limit)),
    ),
    loginCodes: await inBatches((trx, limit) =>
      trx
        .deleteFrom('login_codes')
        .where('id', 'in', trx.selectFrom('login_codes').select('id').where((w) => w.or([w('expires_at', '<=', nowIso), w('used_at', 'is not', null)])).limit(limit)),
    ),
    passwordResets: await inBatches((trx, limit) =>
      trx
        .deleteFrom('password_resets')
        .where('token_hash', 'in', trx.selectFrom('password_resets').select('token_hash').where((w) => w.or([w('expires_at', '<=', nowIso), w('used_at', 'is not', null)])).limit(limit)),
    ),
    memberInvitations: await inBatches((trx, limit) =>
      trx
        .deleteFrom('member_invitations')
        .where('token_hash', 'in', trx.selectFrom('member_invitations').select('token_hash').where((w) => w.or([w('expires_at', '<=', nowIso), w('used_at', 'is not', null)])).limit(limit)),
    ),
    jobs: await inBatches((trx, limit) =>
      trx.deleteFrom('jobs').where('id', 'in', trx.selectFrom('jobs').select('id').where('status', '=', 'done').where('run_at', '<', retainedSince).limit(limit)),
    ),
    mail: await inBatches((trx, limit) =>
      trx
        .deleteFrom('mail_outbox')
        .where('id', 'in', trx.selectFrom('mail_outbox').select('id').where('status', 'in', ['sent', 'kept', 'cancelled']).where('created_at', '<', retainedSince).limit(limit)),
    ),
  };
}
