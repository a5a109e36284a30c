import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Trx } from '../db/create-db.js';
import type { LotRow, Schema } from '../db/schema.js';
import { BUCKET_DELTAS, ENTRY_KINDS, type Buckets } from '../domain/ledger.js';
import type { LotState } from '../domain/lots.js';

type Reader = Kysely<Schema> | Trx;
export type LotBalance = LotRow & Buckets;
export type Credits = Pick<Buckets, 'available' | 'held' | 'used' | 'expired'>;

export const NO_CREDITS: Credits = { available: 0, held: 0, used: 0, expired: 0 };

/**
 * Σ (movement × amount) over ledger entries for one bucket, built from the domain's BUCKET_DELTAS
 * table, so SQL and the domain cannot disagree on what an entry moves.
 */
function bucketSum(bucket: keyof Buckets): RawBuilder<number> {
  const cases = ENTRY_KINDS.filter((kind) => BUCKET_DELTAS[kind][bucket] !== 0).map(
    (kind) => sql`when ${sql.lit(kind)} then ${sql.lit(BUCKET_DELTAS[kind][bucket])} * amount`,
  );
  return sql<number>`coalesce(sum(case kind ${sql.join(cases, sql` `)} else 0 end), 0)`;
}

const BUCKETS = ['granted', 'available', 'held', 'used', 'expired'] as const;

/** Every lot of a client with its buckets, derived from the ledger. */
export function clientLots(db: Reader, practiceId: string, clientId: string): Promise<LotBalance[]> {
  return lotsOfClients(db, practiceId, [clientId]);
}

/** The lots of several clients at once, oldest first. */
export async function lotsOfClients(db: Reader, practiceId: string, clientIds: string[]): Promise<LotBalance[]> {
  if (clientIds.length === 0) return [];
  const sums = db
    .selectFrom('ledger_entries')
    .select('lot_id')
    .select(BUCKETS.map((b) => bucketSum(b).as(b)))
    .where('practice_id', '=', practiceId)
    .where('client_id', 'in', clientIds)
    .groupBy('lot_id')
    .as('e');
  const rows = await db
    .selectFrom('lots as l')
    .leftJoin(sums, 'e.lot_id', 'l.id')
    .selectAll('l')
    .select(BUCKETS.map((b) => sql<number>`coalesce(e.${sql.ref(b)}, 0)`.as(b)))
    .where('l.practice_id', '=', practiceId)
    .where('l.client_id', 'in', clientIds)
    .orderBy('l.created_at')
    .orderBy('l.id')
    .execute();
  return rows as LotBalance[];
}

/** Balances of many clients at once (the practitioner's client list). */
export async function creditsByClient(db: Reader, practiceId: string, clientIds: string[]): Promise<Map<string, Credits>> {
  if (clientIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('ledger_entries')
    .select('client_id')
    .select((['available', 'held', 'used', 'expired'] as const).map((b) => bucketSum(b).as(b)))
    .where('practice_id', '=', practiceId)
    .where('client_id', 'in', clientIds)
    .groupBy('client_id')
    .execute();
  return new Map(rows.map((r) => [r.client_id, { available: Number(r.available), held: Number(r.held), used: Number(r.used), expired: Number(r.expired) }]));
}

export function totalCredits(lots: Buckets[]): Credits {
  return lots.reduce<Credits>(
    (t, l) => ({ available: t.available + l.available, held: t.held + l.held, used: t.used + l.used, expired: t.expired + l.expired }),
    { ...NO_CREDITS },
  );
}

export function lotStates(lots: LotBalance[]): LotState[] {
  return lots.map((l) => ({
    id: l.id,
    available: l.available,
    expiresAt: l.expires_at === null ? null : Date.parse(l.expires_at),
    serviceIds: l.service_ids_json === null ? null : (JSON.parse(l.service_ids_json) as string[]),
    createdAt: Date.parse(l.created_at),
  }));
}

/** The clients who still have available credits in a lot that expired at or before `at`. */
export async function ownersOfExpiredCredits(db: Reader, at: string): Promise<{ practice_id: string; client_id: string }[]> {
  const sums = db.selectFrom('ledger_entries').select('lot_id').select(bucketSum('available').as('available')).groupBy('lot_id').as('e');
  return db
    .selectFrom('lots as l')
    .innerJoin(sums, 'e.lot_id', 'l.id')
    .select(['l.practice_id', 'l.client_id'])
    .distinct()
    .where('l.expires_at', '<=', at)
    .where('e.available', '>', 0)
    .execute();
}
