import { sql, type RawBuilder } from 'kysely';
import { BUCKET_DELTAS, ENTRY_KINDS, type Buckets } from '../domain/ledger.js';

export const BUCKETS = ['granted', 'available', 'held', 'used', 'expired'] as const satisfies readonly (keyof Buckets)[];

/**
 * Σ (movement × amount) of one bucket over the ledger entries of alias `entries`, built from the
 * domain's BUCKET_DELTAS, so SQL and the domain cannot disagree on what an entry moves. Rows with
 * no entry (a left join) and kinds the table does not know count 0.
 */
export function bucketSum(bucket: keyof Buckets, entries: string): RawBuilder<number> {
  const kind = sql.ref(`${entries}.kind`);
  const amount = sql.ref(`${entries}.amount`);
  const cases = ENTRY_KINDS.filter((k) => BUCKET_DELTAS[k][bucket] !== 0).map((k) => sql`when ${sql.lit(k)} then ${sql.lit(BUCKET_DELTAS[k][bucket])} * ${amount}`);
  return sql<number>`coalesce(sum(case ${kind} ${sql.join(cases, sql` `)} else 0 end), 0)`;
}
