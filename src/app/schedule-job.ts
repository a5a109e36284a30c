import type { Trx } from '../db/create-db.js';
import { iso } from '../domain/instants.js';
import { newId } from '../lib/ids.js';

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
      consecutive_failures: 0,
      created_at: iso(now),
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .execute();
}
