import type { Migration } from 'kysely';
import * as initial from './2026-11-25-01-initial.js';
import * as calendars from './2026-11-25-02-calendars.js';
import * as immutableLedger from './2026-11-25-03-immutable-ledger.js';
import * as cancellationOutcome from './2026-11-25-04-cancellation-outcome.js';
import * as jobFailures from './2026-12-04-01-job-failures.js';
import * as stripe from './2026-12-04-50-stripe.js';

/** Every migration, by name; names sort in the order they run. */
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25-01-initial': initial,
  '2026-11-25-02-calendars': calendars,
  '2026-11-25-03-immutable-ledger': immutableLedger,
  '2026-11-25-04-cancellation-outcome': cancellationOutcome,
  '2026-12-04-01-job-failures': jobFailures,
  '2026-12-04-50-stripe': stripe,
};
