import type { AppDeps } from '../deps.js';
import type { Trx } from '../db/create-db.js';
import { MINUTE_MS } from '../domain/instants.js';
import { enqueueJob } from '../app/schedule-job.js';
import { claimDueJobs, failJob, finishJob } from './queue.js';
import { completeEndedSessions, expireLots } from './lifecycle.js';
import { cleanUp, CLEANUP_EVERY_MS } from './cleanup.js';
import { EXPIRY_WARNING_JOB, mailExpiryWarning, mailReminder, REMINDER_JOB } from '../app/notify.js';
import { REFRESH_CALENDAR_JOB, refreshDueCalendars, refreshExternalCalendar } from '../app/external-calendars.js';
import { refundJob, STRIPE_REFUND_JOB } from '../app/refunds.js';
import { EXPIRE_CHECKOUT_JOB, expireOverdueCheckout } from '../app/checkouts.js';

export const JOB_POLL_MS = 1_000;
const CLAIM_BATCH = 20;

/** A handler runs a job; a recurring one answers when to run again. */
type Handler = (deps: AppDeps, payload: unknown, now: Date) => Promise<{ rerunAt: Date } | null>;

/** The recurring sweeps, each one row in the jobs table so only one process runs it at a time. */
const RECURRING: Record<string, { everyMs: number; run: (deps: AppDeps, now: Date) => Promise<unknown> }> = {
  'complete-sessions': { everyMs: MINUTE_MS, run: completeEndedSessions },
  'expire-lots': { everyMs: MINUTE_MS, run: expireLots },
  'refresh-external-calendars': { everyMs: MINUTE_MS, run: (deps, now) => refreshDueCalendars(deps.db, deps.config, now) },
  'clean-up': { everyMs: CLEANUP_EVERY_MS, run: (deps, now) => cleanUp(deps.db, deps.config, now) },
};

/** One-off jobs, scheduled by use cases in their own transaction. */
const ONE_OFF: Record<string, Handler> = {
  [REMINDER_JOB]: async (deps, payload, now) => {
    await mailReminder(deps.db, payload as Parameters<typeof mailReminder>[1], deps.config, now);
    return null;
  },
  [EXPIRY_WARNING_JOB]: async (deps, payload, now) => {
    await mailExpiryWarning(deps.db, payload as Parameters<typeof mailExpiryWarning>[1], deps.config, now);
    return null;
  },
  [EXPIRE_CHECKOUT_JOB]: async (deps, payload, now) => {
    const gateway = deps.payments?.name === 'stripe' ? deps.payments.gateway : null;
    const refundIds = await expireOverdueCheckout(deps.db, gateway, (payload as { checkoutId: string }).checkoutId, deps.config, now);
    for (const refundId of refundIds) await refundJob(deps.db, gateway, { refundId }, now).catch(() => {}); // its own job retries
    return null;
  },
  [STRIPE_REFUND_JOB]: async (deps, payload, now) => {
    await refundJob(deps.db, deps.payments?.name === 'stripe' ? deps.payments.gateway : null, payload as { refundId: string }, now);
    return null;
  },
  [REFRESH_CALENDAR_JOB]: async (deps, payload, now) => {
    await refreshExternalCalendar(deps.db, deps.config, (payload as { calendarId: string }).calendarId, now);
    return null;
  },
};

export interface JobRunner {
  /** Runs every due job once (tests call this after moving the fake clock). */
  tick(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export function createJobRunner(deps: AppDeps, extraHandlers: Record<string, Handler> = {}): JobRunner {
  const handlers: Record<string, Handler> = { ...ONE_OFF, ...extraHandlers };
  for (const [kind, job] of Object.entries(RECURRING)) {
    handlers[kind] = async (d, _payload, now) => {
      await job.run(d, now);
      return { rerunAt: new Date(now.getTime() + job.everyMs) };
    };
  }
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> = Promise.resolve(0);

  async function ensureRecurring(now: Date): Promise<void> {
    await deps.db.write(async (trx: Trx) => {
      for (const kind of Object.keys(RECURRING)) await enqueueJob(trx, { kind, runAt: now, dedupeKey: `recurring:${kind}` }, now);
    });
  }

  async function runDue(): Promise<number> {
    const now = deps.clock.now();
    await ensureRecurring(now);
    const jobs = await claimDueJobs(deps.db, now, CLAIM_BATCH);
    for (const job of jobs) {
      const handler = handlers[job.kind];
      try {
        if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
        await finishJob(deps.db, job, await handler(deps, JSON.parse(job.payload_json), now));
      } catch (error) {
        await failJob(deps.db, job, error, now, { recurring: job.kind in RECURRING });
      }
    }
    await deps.mail.deliverDue();
    return jobs.length;
  }

  return {
    tick: () => (running = running.then(runDue, runDue)),
    start() {
      timer = setInterval(() => {
        void this.tick().catch(() => {});
      }, JOB_POLL_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running.catch(() => {});
    },
  };
}
