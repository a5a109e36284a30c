import type { Migration } from 'kysely';
import * as initial from './2026-11-25-01-initial.js';
import * as calendars from './2026-11-25-02-calendars.js';
import * as immutableLedger from './2026-11-25-03-immutable-ledger.js';
import * as cancellationOutcome from './2026-11-25-04-cancellation-outcome.js';
import * as jobFailures from './2026-12-04-01-job-failures.js';
import * as sweepIndexes from './2026-12-04-02-sweep-indexes.js';
import * as mailClient from './2026-12-04-20-mail-client.js';
import * as retentionIndexes from './2026-12-04-20-retention-indexes.js';
import * as clientSearch from './2026-12-04-30-client-search.js';
import * as deactivateEmptyPackages from './2026-12-04-10-deactivate-empty-packages.js';
import * as stripe from './2026-12-04-50-stripe.js';
import * as lotBalances from './2026-12-07-10-lot-balances.js';
import * as members from './2026-12-07-10-members.js';

/** Every migration, by name; names sort in the order they run. */
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25-01-initial': initial,
  '2026-11-25-02-calendars': calendars,
  '2026-11-25-03-immutable-ledger': immutableLedger,
  '2026-11-25-04-cancellation-outcome': cancellationOutcome,
  '2026-12-04-01-job-failures': jobFailures,
  '2026-12-04-02-sweep-indexes': sweepIndexes,
  '2026-12-04-10-deactivate-empty-packages': deactivateEmptyPackages,
  '2026-12-04-20-mail-client': mailClient,
  '2026-12-04-20-retention-indexes': retentionIndexes,
  '2026-12-04-30-client-search': clientSearch,
  '2026-12-04-50-stripe': stripe,
  '2026-12-07-10-lot-balances': lotBalances,
  '2026-12-07-10-members': members,
};
