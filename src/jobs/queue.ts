import { sql } from 'kysely';
import type { Db } from '../db/create-db.js';
import type { JobRow } from '../db/schema.js';
import { iso } from '../domain/instants.js';
import { retryDelayMs } from '../domain/retry.js';

export const JOB_ATTEMPTS_MAX = 8;
/** A failing recurring sweep is retried at least this often, however long it has been failing. */
export const RECURRING_RETRY_MAX_MS = 5 * 60_000;
/** While one process runs a job, others leave it alone for this long. */
export const JOB_LEASE_MS = 5 * 60_000;

/**
 * Claims due jobs for this process: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two processes never
 * take the same job; on SQLite the write transaction already excludes other writers. A claimed job
 * is leased; if its process dies, the lease runs out and another process retries it.
 */
export async function claimDueJobs(db: Db, now: Date, limit: number): Promise<JobRow[]> {
  return db.write(async (trx) => {
    let due = trx
      .selectFrom('jobs')
      .select('id')
      .where('status', '=', 'pending')
      .where('run_at', '<=', iso(now))
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', iso(now))]))
      .orderBy('run_at')
      .limit(limit);
    if (db.supportsSkipLocked) due = due.forUpdate().skipLocked();
    const ids = (await due.execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    return trx
      .updateTable('jobs')
      .set({ locked_until: iso(now.getTime() + JOB_LEASE_MS), attempts: sql`attempts + 1` })
      .where('id', 'in', ids)
      .returningAll()
      .execute();
  });
}

export async function finishJob(db: Db, job: JobRow, next: { rerunAt: Date } | null): Promise<void> {
  await db.kysely
    .updateTable('jobs')
    .set(
      next
        ? { status: 'pending', run_at: iso(next.rerunAt), attempts: 0, locked_until: null, last_error: null, consecutive_failures: 0 }
        : { status: 'done', locked_until: null },
    )
    .where('id', '=', job.id)
    .execute();
}

/**
 * A one-off job is retried with backoff, then `failed` after JOB_ATTEMPTS_MAX attempts. A recurring
 * sweep never is: a dead sweep would stop completion or expiry for every practice, silently. It
 * keeps retrying (backoff capped at RECURRING_RETRY_MAX_MS) and counts its failures in a row,
 * which the health check reports.
 */
export async function failJob(db: Db, job: JobRow, error: unknown, now: Date, options: { recurring: boolean }): Promise<void> {
  const lastError = String(error).slice(0, 1000);
  const set = options.recurring
    ? {
        status: 'pending' as const,
        attempts: 0,
        consecutive_failures: job.consecutive_failures + 1,
        run_at: iso(now.getTime() + retryDelayMs(job.consecutive_failures + 1, RECURRING_RETRY_MAX_MS)),
      }
    : {
        status: job.attempts >= JOB_ATTEMPTS_MAX ? ('failed' as const) : ('pending' as const),
        run_at: iso(now.getTime() + retryDelayMs(job.attempts, 60 * 60_000)),
      };
  await db.kysely
    .updateTable('jobs')
    .set({ ...set, locked_until: null, last_error: lastError })
    .where('id', '=', job.id)
    .execute();
}

/** Recurring sweeps failing this many times in a row are reported by /healthz. */
export const SWEEP_FAILURES_REPORTED = 3;

export interface JobHealth {
  failingSweeps: { kind: string; consecutiveFailures: number; lastError: string | null }[];
  failedJobs: number;
}

export async function jobHealth(db: Db): Promise<JobHealth> {
  const failing = await db.kysely
    .selectFrom('jobs')
    .select(['kind', 'consecutive_failures', 'last_error'])
    .where('dedupe_key', 'like', 'recurring:%')
    .where('consecutive_failures', '>=', SWEEP_FAILURES_REPORTED)
    .orderBy('kind')
    .execute();
  const { failed } = await db.kysely.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('failed')).where('status', '=', 'failed').executeTakeFirstOrThrow();
  return {
    failingSweeps: failing.map((j) => ({ kind: j.kind, consecutiveFailures: j.consecutive_failures, lastError: j.last_error })),
    failedJobs: Number(failed),
  };
}
