import type { Kysely } from 'kysely';
import type { Trx } from '../db/create-db.js';
import type { LotRow, Schema } from '../db/schema.js';
import type { Buckets } from '../domain/ledger.js';
import type { Draw, LotState } from '../domain/lots.js';

type Reader = Kysely<Schema> | Trx;
export type LotBalance = LotRow & Buckets;
export type Credits = Pick<Buckets, 'available' | 'held' | 'used' | 'expired'>;

export const NO_CREDITS: Credits = { available: 0, held: 0, used: 0, expired: 0 };

/** Every lot of a client with its buckets. */
export function clientLots(db: Reader, practiceId: string, clientId: string): Promise<LotBalance[]> {
  return lotsOfClients(db, practiceId, [clientId]);
}

/** The lots of several clients at once, oldest first, with their stored buckets (see LotBucketColumns). */
export async function lotsOfClients(db: Reader, practiceId: string, clientIds: string[]): Promise<LotBalance[]> {
  if (clientIds.length === 0) return [];
  return db
    .selectFrom('lots')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('client_id', 'in', clientIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export function totalCredits(lots: Buckets[]): Credits {
  return lots.reduce<Credits>(
    (t, l) => ({ available: t.available + l.available, held: t.held + l.held, used: t.used + l.used, expired: t.expired + l.expired }),
    { ...NO_CREDITS },
  );
}

/**
 * A lot as people are shown it at `now`. A lot pays only for sessions starting before its
 * `expiresAt`, so once that has passed its available credits can pay for nothing: they count as
 * expired at once, not only after the expiry job has written its `expire` entry (which moves them
 * the same way). Held credits stay held: they still pay for sessions booked before the expiry.
 * The ledger is untouched; callers that write entries read `clientLots` as it is.
 */
export function lotAsOf(lot: LotBalance, now: Date): LotBalance {
  if (lot.expires_at === null || lot.available <= 0 || now.getTime() < Date.parse(lot.expires_at)) return lot;
  return { ...lot, available: 0, expired: lot.expired + lot.available };
}

/** The client's balance at `now`: every lot, with `available` only what can still pay for a session. */
export function creditsAsOf(lots: LotBalance[], now: Date): Credits {
  return totalCredits(lots.map((l) => lotAsOf(l, now)));
}

/**
 * The balance that concerns one service at `now`: the lots that may pay for it, so `available` is
 * exactly what could pay for a session of it now (GET /me's `coverage` of that service).
 */
export function serviceCreditsAsOf(lots: LotBalance[], serviceId: string, now: Date): Credits {
  return creditsAsOf(
    lots.filter((l) => {
      const serviceIds = lotServiceIds(l);
      return serviceIds === null || serviceIds.includes(serviceId);
    }),
    now,
  );
}

/** The lots after the holds of `draws` are written: each moves its credits from available to held. */
export function withHolds(lots: LotBalance[], draws: Draw[]): LotBalance[] {
  return lots.map((l) => {
    const held = draws.filter((d) => d.lotId === l.id).reduce((n, d) => n + d.credits, 0);
    return held === 0 ? l : { ...l, available: l.available - held, held: l.held + held };
  });
}

/** A client's lots and balance as they are shown at `now` (GET /me, GET /clients/{id}, sign-in). */
export async function balanceOf(db: Reader, practiceId: string, clientId: string, now: Date): Promise<{ lots: LotBalance[]; credits: Credits }> {
  const lots = (await clientLots(db, practiceId, clientId)).map((l) => lotAsOf(l, now));
  return { lots, credits: totalCredits(lots) };
}

function lotServiceIds(lot: LotRow): string[] | null {
  return lot.service_ids_json === null ? null : (JSON.parse(lot.service_ids_json) as string[]);
}

export function lotStates(lots: LotBalance[]): LotState[] {
  return lots.map((l) => ({
    id: l.id,
    available: l.available,
    expiresAt: l.expires_at === null ? null : Date.parse(l.expires_at),
    serviceIds: lotServiceIds(l),
    createdAt: Date.parse(l.created_at),
  }));
}

/** The clients who still have available credits in a lot that expired at or before `at`. */
export async function ownersOfExpiredCredits(db: Reader, at: string): Promise<{ practice_id: string; client_id: string }[]> {
  return db
    .selectFrom('lots')
    .select(['practice_id', 'client_id'])
    .distinct()
    .where('expires_at', '<=', at)
    .where('available', '>', 0)
    .execute();
}
