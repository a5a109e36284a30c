import type { Trx } from '../db/create-db.js';
import type { LedgerEntryRow } from '../db/schema.js';
import { iso } from '../domain/instants.js';
import { bucketsOf, type Buckets } from '../domain/ledger.js';
import { newId } from '../lib/ids.js';

export interface Actor {
  kind: 'practitioner' | 'client' | 'system';
  id: string | null;
}

export type NewEntry = Pick<LedgerEntryRow, 'lot_id' | 'kind' | 'amount'> &
  Partial<Pick<LedgerEntryRow, 'booking_id' | 'resolves_id' | 'reason'>>;

/** Appends ledger entries (the only way credits move); entries are never updated or deleted. */
export async function appendEntries(
  trx: Trx,
  owner: { practiceId: string; clientId: string },
  actor: Actor,
  entries: NewEntry[],
  now: Date,
): Promise<LedgerEntryRow[]> {
  const rows: LedgerEntryRow[] = entries.map((e) => ({
    id: newId(),
    practice_id: owner.practiceId,
    client_id: owner.clientId,
    lot_id: e.lot_id,
    booking_id: e.booking_id ?? null,
    kind: e.kind,
    amount: e.amount,
    resolves_id: e.resolves_id ?? null,
    actor_kind: actor.kind,
    actor_id: actor.id,
    reason: e.reason ?? null,
    created_at: iso(now),
  }));
  if (rows.length > 0) await trx.insertInto('ledger_entries').values(rows).execute();
  for (const [lotId, delta] of movesByLot(rows)) {
    await trx
      .updateTable('lots')
      .set((eb) => ({
        granted: eb('granted', '+', delta.granted),
        available: eb('available', '+', delta.available),
        held: eb('held', '+', delta.held),
        used: eb('used', '+', delta.used),
        expired: eb('expired', '+', delta.expired),
      }))
      .where('id', '=', lotId)
      .execute();
  }
  return rows;
}

/** How the entries move each lot's buckets (the stored copy of the sums: see LotBucketColumns). */
function movesByLot(rows: LedgerEntryRow[]): Map<string, Buckets> {
  const byLot = new Map<string, LedgerEntryRow[]>();
  for (const row of rows) byLot.set(row.lot_id, [...(byLot.get(row.lot_id) ?? []), row]);
  return new Map([...byLot].map(([lotId, entries]) => [lotId, bucketsOf(entries)]));
}

/** The holds of a booking that are not yet resolved (released, consumed or forfeited). */
export async function openHolds(trx: Trx, practiceId: string, bookingId: string): Promise<LedgerEntryRow[]> {
  return trx
    .selectFrom('ledger_entries as h')
    .selectAll('h')
    .where('h.practice_id', '=', practiceId)
    .where('h.booking_id', '=', bookingId)
    .where('h.kind', '=', 'hold')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('ledger_entries as r').select('r.id').whereRef('r.resolves_id', '=', 'h.id'))))
    .orderBy('h.created_at')
    .orderBy('h.id')
    .execute();
}
