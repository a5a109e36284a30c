import type { Db, Trx } from '../db/create-db.js';
import type { LedgerEntryRow, LotRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import { lotExpiresAt } from '../domain/lots.js';
import { clientLots } from './balances.js';
import { appendEntries, type Actor } from './ledger-writes.js';
import { grantLot, recordManualSale } from './purchases.js';
import { validation } from './field-errors.js';
import { expireReturnedCredits, loadBooking } from './settle-booking.js';

type Owner = { practiceId: string; clientId: string };

export async function clientOfPractice(trx: Trx | Db['kysely'], practiceId: string, clientId: string) {
  const client = await trx.selectFrom('clients').selectAll().where('practice_id', '=', practiceId).where('id', '=', clientId).executeTakeFirst();
  if (!client) throw new DomainError('not_found', 'no such client');
  return client;
}

export type GrantInput =
  | { packageId: string; payment?: 'manual' | undefined }
  | { credits: number; validityDays?: number | null | undefined; serviceIds?: string[] | null | undefined; reason: string };

/** Credits by hand: a package sold outside (a manual purchase), or a plain grant with a reason (e.g. carried over). */
export async function grantCredits(db: Db, trx: Trx, owner: Owner, input: GrantInput, actor: Actor, now: Date): Promise<LotRow> {
  await clientOfPractice(trx, owner.practiceId, owner.clientId);
  await db.lockRow(trx, 'clients', owner.clientId);
  if ('packageId' in input) return recordManualSale(trx, owner, input.packageId, actor, now);
  const practice = await trx.selectFrom('practices').selectAll().where('id', '=', owner.practiceId).executeTakeFirstOrThrow();
  const serviceIds = input.serviceIds ?? null;
  if (serviceIds) {
    // A lot that names no service covers nothing; null is the way to say "every service".
    if (serviceIds.length === 0) throw validation('/serviceIds', 'must name at least one service, or be null for every service');
    const known = await trx.selectFrom('services').select('id').where('practice_id', '=', owner.practiceId).where('id', 'in', serviceIds).execute();
    const unknownIndex = serviceIds.findIndex((id) => !known.some((k) => k.id === id));
    if (unknownIndex >= 0) throw validation(`/serviceIds/${unknownIndex}`, 'is not a service of this practice');
  }
  return grantLot(
    trx,
    owner,
    {
      packageId: null,
      packageName: 'Credits granted',
      purchaseId: null,
      credits: input.credits,
      expiresAt: lotExpiresAt(now.getTime(), input.validityDays ?? null, practice.time_zone),
      serviceIds,
      reason: input.reason,
    },
    actor,
    now,
  );
}

/** A correction of a lot's available credits, with a reason; a negative one at most what is available. */
export async function adjustLot(db: Db, trx: Trx, owner: Owner, input: { lotId: string; amount: number; reason: string }, actor: Actor, now: Date): Promise<LedgerEntryRow> {
  await clientOfPractice(trx, owner.practiceId, owner.clientId);
  await db.lockRow(trx, 'clients', owner.clientId);
  const lot = (await clientLots(trx, owner.practiceId, owner.clientId)).find((l) => l.id === input.lotId);
  if (!lot) throw new DomainError('not_found', 'no such lot for this client');
  if (input.amount > 0 && lot.expires_at !== null && lot.expires_at <= iso(now)) {
    throw new DomainError('conflict', 'this lot has expired; grant new credits instead');
  }
  if (input.amount < 0 && -input.amount > lot.available) {
    throw new DomainError('conflict', `only ${lot.available} credit(s) of this lot are available to remove`);
  }
  const [entry] = await appendEntries(trx, owner, actor, [{ lot_id: lot.id, kind: 'adjust', amount: input.amount, reason: input.reason }], now);
  return entry!;
}

/** Waives a forfeit (restores the credits) or voids an owed fee; a second waive is a conflict. */
export async function waiveBooking(db: Db, trx: Trx, scope: { practiceId: string; bookingId: string }, reason: string, actor: Actor, now: Date) {
  const { booking } = await loadBooking(trx, scope);
  await db.lockRow(trx, 'clients', booking.client_id);
  const owner = { practiceId: scope.practiceId, clientId: booking.client_id };
  const unrestored = await trx
    .selectFrom('ledger_entries as f')
    .selectAll('f')
    .where('f.practice_id', '=', scope.practiceId)
    .where('f.booking_id', '=', booking.id)
    .where('f.kind', '=', 'forfeit')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('ledger_entries as r').select('r.id').whereRef('r.resolves_id', '=', 'f.id'))))
    .execute();
  if (unrestored.length > 0) {
    const entries = await appendEntries(trx, owner, actor, unrestored.map((f) => ({ lot_id: f.lot_id, kind: 'restore' as const, amount: f.amount, booking_id: booking.id, resolves_id: f.id, reason })), now);
    await expireReturnedCredits(trx, owner, unrestored, now);
    return { booking, entry: entries[0]! };
  }
  const fee = await trx
    .updateTable('fees')
    .set({ status: 'waived', reason, resolved_at: iso(now) })
    .where('practice_id', '=', scope.practiceId)
    .where('booking_id', '=', booking.id)
    .where('status', '=', 'owed')
    .returningAll()
    .executeTakeFirst();
  if (!fee) throw new DomainError('conflict', 'nothing to waive: no forfeited credit or owed fee on this booking');
  return { booking, entry: null, fee };
}

/** Marks an owed fee paid or waived. */
export async function resolveFee(db: Db, practiceId: string, feeId: string, status: 'paid' | 'waived', reason: string | null, now: Date) {
  return db.write(async (trx) => {
    const fee = await trx.selectFrom('fees').selectAll().where('practice_id', '=', practiceId).where('id', '=', feeId).executeTakeFirst();
    if (!fee) throw new DomainError('not_found', 'no such fee');
    if (fee.status === status) return fee; // a repeat of what already happened
    const updated = await trx
      .updateTable('fees')
      .set({ status, reason: reason ?? fee.reason, resolved_at: iso(now) })
      .where('id', '=', feeId)
      .where('status', '=', 'owed')
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw new DomainError('conflict', `the fee is already ${fee.status}`);
    return updated;
  });
}
