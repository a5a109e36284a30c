import { BUCKET_DELTAS, ENTRY_KINDS, lotViolations, type Buckets } from '../domain/ledger.js';
import type { Db, Trx } from './create-db.js';

/** What resolves what: a hold is released, consumed or forfeited; a forfeit is restored. */
const RESOLVES: Record<string, string> = { release: 'hold', consume: 'hold', forfeit: 'hold', restore: 'forfeit' };
const HOLDING_STATUSES = new Set(['confirmed', 'pending_payment']);

/**
 * Every invariant of DESIGN.md, checked on a whole database; returns each violation in words.
 * Read-only and safe on a live database: every read runs in one snapshot, so a booking committed
 * between two reads cannot show up half-written (its row without its hold).
 */
export function findViolations(db: Db): Promise<string[]> {
  return db.readSnapshot((trx) => violationsIn(trx));
}

async function violationsIn(q: Trx): Promise<string[]> {
  const problems: string[] = [];

  // 1. Every lot: granted = available + held + used + expired, no bucket negative.
  const entries = await q.selectFrom('ledger_entries').select(['id', 'lot_id', 'booking_id', 'kind', 'amount', 'resolves_id', 'practice_id', 'client_id']).execute();
  const lots = await q.selectFrom('lots').select(['id', 'practice_id', 'client_id', 'purchase_id']).execute();
  const byLot = new Map<string, Buckets>(lots.map((l) => [l.id, { granted: 0, available: 0, held: 0, used: 0, expired: 0 }]));
  for (const e of entries) {
    const b = byLot.get(e.lot_id);
    if (!b) {
      problems.push(`entry ${e.id} moves credits of unknown lot ${e.lot_id}`);
      continue;
    }
    if (!ENTRY_KINDS.includes(e.kind)) problems.push(`entry ${e.id} has unknown kind ${e.kind}`);
    const d = BUCKET_DELTAS[e.kind];
    for (const k of ['granted', 'available', 'held', 'used', 'expired'] as const) b[k] += d[k] * e.amount;
  }
  for (const [lotId, b] of byLot) for (const p of lotViolations(b)) problems.push(`lot ${lotId}: ${p}`);
  const lotOwner = new Map(lots.map((l) => [l.id, l]));
  for (const e of entries) {
    const lot = lotOwner.get(e.lot_id);
    if (lot && (lot.practice_id !== e.practice_id || lot.client_id !== e.client_id)) problems.push(`entry ${e.id} belongs to another practice or client than its lot`);
  }

  // 2. Resolutions: each resolves the right kind, the same amount and lot, at most once (unique in the schema).
  const byId = new Map(entries.map((e) => [e.id, e]));
  for (const e of entries) {
    const expected = RESOLVES[e.kind];
    if (!expected) {
      if (e.resolves_id) problems.push(`entry ${e.id} (${e.kind}) resolves something`);
      continue;
    }
    const target = e.resolves_id ? byId.get(e.resolves_id) : undefined;
    if (!target || target.kind !== expected) problems.push(`entry ${e.id} (${e.kind}) must resolve a ${expected}`);
    else if (target.amount !== e.amount || target.lot_id !== e.lot_id) problems.push(`entry ${e.id} resolves ${target.id} with another amount or lot`);
  }

  // 3. Every confirmed booking paid in credits holds exactly its cost; every held credit belongs to a confirmed booking.
  const bookings = await q.selectFrom('bookings').select(['id', 'status', 'payment_kind', 'credits', 'service_id', 'start_at', 'end_at', 'practice_id', 'buffer_before_minutes', 'buffer_after_minutes']).execute();
  const resolved = new Set(entries.filter((e) => e.resolves_id).map((e) => e.resolves_id));
  const openHeld = new Map<string, number>();
  for (const e of entries) {
    if (e.kind !== 'hold' || resolved.has(e.id)) continue;
    if (!e.booking_id) problems.push(`hold ${e.id} has no booking`);
    else openHeld.set(e.booking_id, (openHeld.get(e.booking_id) ?? 0) + e.amount);
  }
  for (const b of bookings) {
    const held = openHeld.get(b.id) ?? 0;
    if (HOLDING_STATUSES.has(b.status) && b.payment_kind === 'credits' && held !== b.credits) problems.push(`booking ${b.id} (${b.status}) holds ${held} credit(s), its cost is ${b.credits}`);
    if (!HOLDING_STATUSES.has(b.status) && held !== 0) problems.push(`booking ${b.id} (${b.status}) still holds ${held} credit(s)`);
  }

  // 4. A paid purchase granted exactly one lot.
  const purchases = await q.selectFrom('purchases').select(['id', 'status']).execute();
  for (const p of purchases) {
    const granted = lots.filter((l) => l.purchase_id === p.id).length;
    if ((p.status === 'paid' || p.status === 'refunded') && granted !== 1) problems.push(`purchase ${p.id} (${p.status}) granted ${granted} lots`);
    if ((p.status === 'pending' || p.status === 'failed') && granted !== 0) problems.push(`purchase ${p.id} (${p.status}) granted a lot`);
  }

  // 5. No two confirmed bookings overlap (buffers against sessions), except seats of one service at one start within capacity.
  const services = new Map((await q.selectFrom('services').select(['id', 'capacity']).execute()).map((s) => [s.id, s.capacity]));
  const confirmed = bookings.filter((b) => b.status === 'confirmed').sort((a, b) => (a.practice_id + a.start_at < b.practice_id + b.start_at ? -1 : 1));
  const seats = new Map<string, number>();
  for (const b of confirmed) seats.set(`${b.practice_id}|${b.service_id}|${b.start_at}`, (seats.get(`${b.practice_id}|${b.service_id}|${b.start_at}`) ?? 0) + 1);
  for (const [key, count] of seats) {
    const capacity = services.get(key.split('|')[1]!) ?? 1;
    if (count > capacity) problems.push(`slot ${key} has ${count} bookings for ${capacity} seat(s)`);
  }
  const MINUTE = 60_000;
  for (let i = 0; i < confirmed.length; i++) {
    const a = confirmed[i]!;
    for (let j = i + 1; j < confirmed.length; j++) {
      const b = confirmed[j]!;
      if (b.practice_id !== a.practice_id) break;
      const aStart = Date.parse(a.start_at), aEnd = Date.parse(a.end_at), bStart = Date.parse(b.start_at), bEnd = Date.parse(b.end_at);
      if (bStart - b.buffer_before_minutes * MINUTE >= aEnd + a.buffer_after_minutes * MINUTE + 720 * MINUTE) break;
      if (a.service_id === b.service_id && a.start_at === b.start_at) continue;
      const overlaps = (s1: number, e1: number, s2: number, e2: number) => s1 < e2 && s2 < e1;
      if (
        overlaps(aStart, aEnd, bStart, bEnd) ||
        overlaps(aStart - a.buffer_before_minutes * MINUTE, aEnd + a.buffer_after_minutes * MINUTE, bStart, bEnd) ||
        overlaps(aStart, aEnd, bStart - b.buffer_before_minutes * MINUTE, bEnd + b.buffer_after_minutes * MINUTE)
      ) {
        problems.push(`bookings ${a.id} and ${b.id} overlap`);
      }
    }
  }
  return problems;
}
