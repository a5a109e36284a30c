import type { Migration } from 'kysely';
import * as initial from './2026-11-25-01-initial.js';
import * as immutableLedger from './2026-11-25-03-immutable-ledger.js';

/** Every migration, by name; names sort in the order they run. */
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25-01-initial': initial,
  '2026-11-25-03-immutable-ledger': immutableLedger,
};
