import { sql } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { JobRow } from '../db/schema.js';
import { iso } from '../domain/instants.js';
import { newId } from '../app/security.js';

export const JOB_ATTEMPTS_MAX = 8;
/** While one process runs a job, others leave it alone for this long. */
export const JOB_LEASE_MS = 5 * 60_000;

/** Schedules a job in the caller's transaction; a job with the same dedupe key is not scheduled twice. */
export async function enqueueJob(trx: Trx, job: { kind: string; runAt: Date; payload?: unknown; dedupeKey?: string }, now: Date): Promise<void> {
  await trx
    .insertInto('jobs')
    .values({
      id: newId(),
      kind: job.kind,
      payload_json: JSON.stringify(job.payload ?? {}),
      dedupe_key: job.dedupeKey ?? null,
      run_at: iso(job.runAt),
      status: 'pending',
      attempts: 0,
      locked_until: null,
      last_error: null,
      created_at: iso(now),
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .execute();
}

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
    .set(next ? { status: 'pending', run_at: iso(next.rerunAt), attempts: 0, locked_until: null, last_error: null } : { status: 'done', locked_until: null })
    .where('id', '=', job.id)
    .execute();
}

export async function failJob(db: Db, job: JobRow, error: unknown, now: Date): Promise<void> {
  const backoffMs = Math.min(60 * 60_000, 2 ** job.attempts * 1000);
  await db.kysely
    .updateTable('jobs')
    .set({
      status: job.attempts >= JOB_ATTEMPTS_MAX ? 'failed' : 'pending',
      run_at: iso(now.getTime() + backoffMs),
      locked_until: null,
      last_error: String(error).slice(0, 1000),
    })
    .where('id', '=', job.id)
    .execute();
}
