import { sql, type RawBuilder } from 'kysely';
import { ENTRY_KINDS, lotViolations, type Buckets } from '../domain/ledger.js';
import { OCCUPYING_STATUSES } from '../domain/slots.js';
import type { Db, Trx } from './create-db.js';
import { BUCKETS, bucketSum } from './ledger-sql.js';
import { portableSql, type PortableSql } from './portable-sql.js';
import type { BookingRow } from './schema.js';

/** What resolves what: a hold is released, consumed or forfeited; a forfeit is restored. */
const RESOLVES: Record<string, string> = { release: 'hold', consume: 'hold', forfeit: 'hold', restore: 'forfeit' };
/** Entries that move credits for a booking name it; the others (grant, expire, revoke, adjust) never do. */
const BOOKING_KINDS = ['hold', 'release', 'consume', 'forfeit', 'restore'];
/** Every status a booking can have (a Record, so that a new status does not compile until it is listed). */
const STATUSES: Record<BookingRow['status'], true> = { confirmed: true, pending_payment: true, cancelled: true, late_cancelled: true, completed: true, no_show: true };
const PAYMENT_KINDS: Record<BookingRow['payment_kind'], true> = { credits: true, single: true, free: true };
/** A booking in these still holds its credits. */
const HOLDING_STATUSES = ['confirmed', 'pending_payment'];
/** A client's own sessions that may not overlap, as bookSession refuses them (assertSlotOffered). */
const CLIENT_BUSY_STATUSES = ['confirmed', 'pending_payment'];
/** Fees are owed only for a late cancellation or a no-show. */
const FEE_STATUSES = ['late_cancelled', 'no_show'];

/** What each status says about how the booking's held credits were resolved, in words for a violation. */
const RESOLUTION_RULES: Record<BookingRow['status'], string> = {
  confirmed: 'an upcoming booking has consumed and forfeited nothing',
  pending_payment: 'an upcoming booking has consumed and forfeited nothing',
  completed: 'a completed session consumes exactly its credits',
  cancelled: 'a cancellation releases its credits',
  late_cancelled: 'a late cancellation forfeits its credits (outcome forfeit), or releases them and owes a fee (outcome fee)',
  no_show: 'a no-show forfeits its credits (policy forfeit), or releases them and owes a fee (policy fee), or releases them (policy none)',
};

type Check = (q: Trx, s: PortableSql) => Promise<string[]>;

/**
 * Every invariant of DESIGN.md, checked on a whole database; returns each violation in words, with
 * the ids concerned. Each check is one or two statements that aggregate in SQL and return only the
 * offending rows, so memory does not grow with the ledger. Read-only and safe on a live database:
 * every read runs in one snapshot, so a booking committed between two reads cannot show up
 * half-written (its row without its hold).
 */
export function findViolations(db: Db): Promise<string[]> {
  const s = portableSql(db.dialect);
  return db.readSnapshot(async (trx) => {
    const problems: string[] = [];
    for (const check of CHECKS) problems.push(...(await check(trx, s)));
    return problems;
  });
}

const list = (values: readonly string[]) => sql`(${sql.join(values.map((v) => sql.lit(v)))})`;

async function rows<R>(q: Trx, query: RawBuilder<R>): Promise<R[]> {
  return (await query.execute(q)).rows;
}

/**
 * For every lot: granted = available + held + used + expired, and no bucket negative, summed from
 * its entries; and the buckets stored beside the lot (what balances read) equal those sums.
 */
const lotBalances: Check = async (q) => {
  const buckets = sql.join(BUCKETS.map((b) => sql`${bucketSum(b, 'e')} as ${sql.ref(b)}`));
  const stored = sql.join(BUCKETS.map((b) => sql`${sql.ref(`l.${b}`)} as ${sql.ref(`stored_${b}`)}`));
  const negative = sql.join(BUCKETS.map((b) => sql`${sql.ref(b)} < 0`), sql` or `);
  const differs = sql.join(BUCKETS.map((b) => sql`${sql.ref(b)} <> ${sql.ref(`stored_${b}`)}`), sql` or `);
  const found = await rows(q, sql<{ id: string } & Buckets & Record<`stored_${keyof Buckets}`, number>>`
    select * from (select l.id, ${buckets}, ${stored} from lots l left join ledger_entries e on e.lot_id = l.id group by l.id) as b
    where granted <> available + held + used + expired or ${negative} or ${differs}
    order by id`);
  return found.flatMap((lot) => [
    ...lotViolations(lot).map((p) => `lot ${lot.id}: ${p}`),
    ...BUCKETS.filter((b) => lot[b] !== lot[`stored_${b}`]).map((b) => `lot ${lot.id}: stored ${b} ${lot[`stored_${b}`]} ≠ ${lot[b]} summed from its entries`),
  ]);
};

/** Each entry has a known kind and lot, a positive amount (a signed one for adjust), and names a booking exactly when its kind moves credits for one. */
const entryShapes: Check = async (q) => {
  const unknownLot = await rows(q, sql<{ id: string; lot_id: string }>`
    select e.id, e.lot_id from ledger_entries e where not exists (select 1 from lots l where l.id = e.lot_id) order by e.id`);
  const unknownKind = await rows(q, sql<{ id: string; kind: string }>`
    select e.id, e.kind from ledger_entries e where e.kind not in ${list(ENTRY_KINDS)} order by e.id`);
  const badAmount = await rows(q, sql<{ id: string; kind: string; amount: number }>`
    select e.id, e.kind, e.amount from ledger_entries e
    where (e.kind = 'adjust' and e.amount = 0) or (e.kind <> 'adjust' and e.amount <= 0) order by e.id`);
  const bookingNamed = await rows(q, sql<{ id: string; kind: string; booking_id: string | null }>`
    select e.id, e.kind, e.booking_id from ledger_entries e
    where (e.kind in ${list(BOOKING_KINDS)} and e.booking_id is null)
       or (e.kind in ${list(ENTRY_KINDS.filter((k) => !BOOKING_KINDS.includes(k)))} and e.booking_id is not null)
    order by e.id`);
  return [
    ...unknownLot.map((e) => `entry ${e.id} moves credits of unknown lot ${e.lot_id}`),
    ...unknownKind.map((e) => `entry ${e.id} has unknown kind ${e.kind}`),
    ...badAmount.map((e) => `entry ${e.id} (${e.kind}) moves ${e.amount} credit(s): ${e.kind === 'adjust' ? 'an adjustment moves a non-zero amount' : `a ${e.kind} moves a positive amount`}`),
    ...bookingNamed.map((e) => (e.booking_id === null ? `${e.kind} ${e.id} has no booking` : `entry ${e.id} (${e.kind}) names booking ${e.booking_id}: only holds and their resolutions do`)),
  ];
};

/** An entry belongs to the practice and client of its lot, and of the booking it names. */
const entryOwners: Check = async (q) => {
  const ofLot = await rows(q, sql<{ id: string }>`
    select e.id from ledger_entries e join lots l on l.id = e.lot_id
    where l.practice_id <> e.practice_id or l.client_id <> e.client_id order by e.id`);
  const ofBooking = await rows(q, sql<{ id: string; kind: string; booking_id: string }>`
    select e.id, e.kind, e.booking_id from ledger_entries e join bookings b on b.id = e.booking_id
    where b.practice_id <> e.practice_id or b.client_id <> e.client_id order by e.id`);
  return [
    ...ofLot.map((e) => `entry ${e.id} belongs to another practice or client than its lot`),
    ...ofBooking.map((e) => `entry ${e.id} (${e.kind}) belongs to another practice or client than its booking ${e.booking_id}`),
  ];
};

/**
 * A resolution resolves an entry of the right kind (a hold, or for a restore a forfeit) with the
 * same amount, lot and booking; at most once is the schema's unique resolves_id.
 */
const resolutions: Check = async (q) => {
  const expected = sql`case e.kind ${sql.join(Object.entries(RESOLVES).map(([kind, target]) => sql`when ${sql.lit(kind)} then ${sql.lit(target)}`), sql` `)} end`;
  const found = await rows(q, sql<{ id: string; kind: string; expected: string | null; target_id: string | null; target_kind: string | null; same_amount_and_lot: number }>`
    select e.id, e.kind, ${expected} as expected, t.id as target_id, t.kind as target_kind,
      case when t.amount = e.amount and t.lot_id = e.lot_id then 1 else 0 end as same_amount_and_lot
    from ledger_entries e left join ledger_entries t on t.id = e.resolves_id
    where (e.kind not in ${list(Object.keys(RESOLVES))} and e.resolves_id is not null)
       or (e.kind in ${list(Object.keys(RESOLVES))} and (t.id is null or t.kind <> ${expected} or t.amount <> e.amount or t.lot_id <> e.lot_id or e.booking_id is distinct from t.booking_id))
    order by e.id`);
  return found.map((e) => {
    if (e.expected === null) return `entry ${e.id} (${e.kind}) resolves something`;
    if (e.target_id === null || e.target_kind !== e.expected) return `entry ${e.id} (${e.kind}) must resolve a ${e.expected}`;
    if (!e.same_amount_and_lot) return `entry ${e.id} resolves ${e.target_id} with another amount or lot`;
    return `entry ${e.id} (${e.kind}) names another booking than the ${e.target_kind} ${e.target_id} it resolves`;
  });
};

/** A booking has a known status and way of paying. */
const bookingShapes: Check = async (q) => {
  const found = await rows(q, sql<{ id: string; status: string; payment_kind: string }>`
    select id, status, payment_kind from bookings
    where status not in ${list(Object.keys(STATUSES))} or payment_kind not in ${list(Object.keys(PAYMENT_KINDS))} order by id`);
  return found.map((b) => `booking ${b.id} has unknown status ${b.status} or payment kind ${b.payment_kind}`);
};

/** A confirmed booking paid in credits holds exactly its cost; any other booking holds nothing. */
const bookingHolds: Check = async (q) => {
  const expected = sql`case when b.status in ${list(HOLDING_STATUSES)} and b.payment_kind = 'credits' then b.credits else 0 end`;
  const found = await rows(q, sql<{ id: string; status: string; payment_kind: string; credits: number; held: number }>`
    select b.id, b.status, b.payment_kind, b.credits, coalesce(sum(h.amount), 0) as held
    from bookings b
    left join ledger_entries h on h.booking_id = b.id and h.kind = 'hold' and not exists (select 1 from ledger_entries r where r.resolves_id = h.id)
    group by b.id, b.status, b.payment_kind, b.credits
    having coalesce(sum(h.amount), 0) <> ${expected}
    order by b.id`);
  return found.map((b) => {
    if (!HOLDING_STATUSES.includes(b.status)) return `booking ${b.id} (${b.status}) still holds ${b.held} credit(s)`;
    if (b.payment_kind !== 'credits') return `booking ${b.id} (${b.status}) holds ${b.held} credit(s), but it is not paid in credits (${b.payment_kind})`;
    return `booking ${b.id} (${b.status}) holds ${b.held} credit(s), its cost is ${b.credits}`;
  });
};

/**
 * The status says how the credits were resolved (DESIGN "Cancellation policy"): completed →
 * consume; cancelled → release; late_cancelled → forfeit, or release plus a fee, per the outcome
 * stored on the booking; no_show → forfeit, release plus a fee, or release. Releases are allowed
 * on any booking (a reschedule releases and holds again), so the check is on what was consumed
 * and forfeited, the fee, and the stored outcome. Restoring a forfeit (a waiver) leaves the
 * forfeit in place, and a fee counts whatever became of it (owed, paid or waived).
 */
const resolutionsMatchStatus: Check = async (q, s) => {
  const cost = sql`case when b.payment_kind = 'credits' then b.credits else 0 end`;
  const forfeitedAll = sql`(forfeited = cost and fee = 0)`;
  const releasedWithFee = sql`(forfeited = 0 and fee = 1)`;
  const releasedOnly = sql`(forfeited = 0 and fee = 0)`;
  // `coalesce(outcome, x) = x`: the stored outcome is x, or none was stored (no_show stores none).
  const found = await rows(q, sql<{ id: string; status: BookingRow['status']; cost: number; consumed: number; forfeited: number; fee: number; outcome: string | null }>`
    select * from (
      select b.id, b.status, ${cost} as cost, coalesce(r.consumed, 0) as consumed, coalesce(r.forfeited, 0) as forfeited,
        case when f.id is null then 0 else 1 end as fee, ${s.jsonText(sql.ref('b.cancellation_json'), 'outcome')} as outcome
      from bookings b
      left join (
        select h.booking_id, sum(case x.kind when 'consume' then x.amount else 0 end) as consumed, sum(case x.kind when 'forfeit' then x.amount else 0 end) as forfeited
        from ledger_entries h join ledger_entries x on x.resolves_id = h.id where h.kind = 'hold' group by h.booking_id
      ) as r on r.booking_id = b.id
      left join fees f on f.booking_id = b.id
    ) as t
    where consumed <> case when status = 'completed' then cost else 0 end
       or (status not in ${list(FEE_STATUSES)} and forfeited <> 0)
       or (status = 'cancelled' and outcome not in ('release', 'none'))
       or (status = 'late_cancelled' and not (
             (coalesce(outcome, 'forfeit') = 'forfeit' and ${forfeitedAll})
          or (coalesce(outcome, 'fee') = 'fee' and ${releasedWithFee})
          or (coalesce(outcome, 'none') = 'none' and cost = 0 and ${releasedOnly})))
       or (status = 'no_show' and not (
             (coalesce(outcome, 'forfeit') = 'forfeit' and ${forfeitedAll})
          or (coalesce(outcome, 'fee') = 'fee' and ${releasedWithFee})
          or (coalesce(outcome, 'release') in ('release', 'none') and ${releasedOnly})))
    order by id`);
  return found.map(
    (b) =>
      `booking ${b.id} (${b.status}${b.outcome ? `, outcome ${b.outcome}` : ''}) consumed ${b.consumed} and forfeited ${b.forfeited} of its ${b.cost} credit(s)${b.fee ? ' and has a fee' : ''}: ${RESOLUTION_RULES[b.status] ?? 'unknown status'}`,
  );
};

/**
 * Every hold draws from a lot that pays for the booking's service and is still valid at its start
 * (DESIGN "Which lot pays"). A reschedule keeps the holds only while they stay valid at the new
 * start, else releases them and holds again; so a released hold of a booking that held more than
 * its cost may have been valid at an earlier start only, and its expiry is not judged.
 */
const holdEligibility: Check = async (q, s) => {
  const wrongService = await rows(q, sql<{ id: string; booking_id: string; lot_id: string; service_id: string }>`
    select h.id, h.booking_id, h.lot_id, b.service_id from ledger_entries h
    join bookings b on b.id = h.booking_id join lots l on l.id = h.lot_id
    where h.kind = 'hold' and l.service_ids_json is not null and not ${s.jsonArrayIncludes(sql.ref('l.service_ids_json'), sql.ref('b.service_id'))}
    order by h.id`);
  const expired = await rows(q, sql<{ id: string; booking_id: string; lot_id: string; start_at: string; expires_at: string }>`
    select h.id, h.booking_id, h.lot_id, b.start_at, l.expires_at from ledger_entries h
    join bookings b on b.id = h.booking_id join lots l on l.id = h.lot_id
    where h.kind = 'hold' and l.expires_at is not null and b.start_at >= l.expires_at
      and not (
        exists (select 1 from ledger_entries r where r.resolves_id = h.id and r.kind = 'release')
        and (select sum(h2.amount) from ledger_entries h2 where h2.booking_id = h.booking_id and h2.kind = 'hold') > case when b.payment_kind = 'credits' then b.credits else 0 end)
    order by h.id`);
  return [
    ...wrongService.map((h) => `hold ${h.id} of booking ${h.booking_id} draws from lot ${h.lot_id}, which does not pay for service ${h.service_id}`),
    ...expired.map((h) => `hold ${h.id} of booking ${h.booking_id} draws from lot ${h.lot_id}, which expires at ${h.expires_at}, not after the session starts at ${h.start_at}`),
  ];
};

/** An expire entry is dated at or after its lot's expiry: an early one is a silent loss. */
const expiryDates: Check = async (q) => {
  const found = await rows(q, sql<{ id: string; lot_id: string; created_at: string; expires_at: string | null }>`
    select e.id, e.lot_id, e.created_at, l.expires_at from ledger_entries e join lots l on l.id = e.lot_id
    where e.kind = 'expire' and (l.expires_at is null or e.created_at < l.expires_at)
    order by e.id`);
  return found.map((e) =>
    e.expires_at === null
      ? `expire ${e.id} of lot ${e.lot_id} (dated ${e.created_at}) expires a lot that never expires`
      : `expire ${e.id} of lot ${e.lot_id} is dated ${e.created_at}, before the lot expires at ${e.expires_at}`,
  );
};

/**
 * A paid (or refunded) purchase granted exactly one lot, to its own client, for its own package;
 * every lot was created by exactly one grant. The purchase does not record how many credits it
 * bought and a package's credits may be edited since, so the amount itself is not compared.
 */
const purchases: Check = async (q) => {
  const lotCount = await rows(q, sql<{ id: string; status: string; lots: number }>`
    select p.id, p.status, count(l.id) as lots from purchases p left join lots l on l.purchase_id = p.id
    group by p.id, p.status
    having (p.status in ('paid', 'refunded') and count(l.id) <> 1) or (p.status not in ('paid', 'refunded') and count(l.id) <> 0)
    order by p.id`);
  const owner = await rows(q, sql<{ id: string; lot_id: string; client_id: string; lot_client_id: string; package_id: string; lot_package_id: string | null; same_practice: number }>`
    select p.id, l.id as lot_id, p.client_id, l.client_id as lot_client_id, p.package_id, l.package_id as lot_package_id,
      case when l.practice_id = p.practice_id then 1 else 0 end as same_practice
    from purchases p join lots l on l.purchase_id = p.id
    where l.practice_id <> p.practice_id or l.client_id <> p.client_id or l.package_id is distinct from p.package_id
    order by p.id`);
  const grants = await rows(q, sql<{ id: string; grants: number }>`
    select l.id, count(g.id) as grants from lots l left join ledger_entries g on g.lot_id = l.id and g.kind = 'grant'
    group by l.id having count(g.id) <> 1 order by l.id`);
  return [
    ...lotCount.map((p) => (p.status === 'paid' || p.status === 'refunded' ? `purchase ${p.id} (${p.status}) granted ${p.lots} lots` : `purchase ${p.id} (${p.status}) granted a lot`)),
    ...owner.map((p) => {
      if (!p.same_practice) return `lot ${p.lot_id} of purchase ${p.id} belongs to another practice than the purchase`;
      if (p.lot_client_id !== p.client_id) return `lot ${p.lot_id} of purchase ${p.id} was granted to client ${p.lot_client_id}, not to the buyer ${p.client_id}`;
      return `lot ${p.lot_id} of purchase ${p.id} is of package ${p.lot_package_id ?? 'none'}, not of the package bought ${p.package_id}`;
    }),
    ...grants.map((l) => `lot ${l.id} has ${l.grants} grant entries (every lot is created by one)`),
  ];
};

/** Fees exist only on late-cancelled and no-show bookings, and belong to the booking's client. */
const fees: Check = async (q) => {
  const found = await rows(q, sql<{ id: string; booking_id: string; status: string; same_owner: number }>`
    select f.id, f.booking_id, b.status, case when f.practice_id = b.practice_id and f.client_id = b.client_id then 1 else 0 end as same_owner
    from fees f join bookings b on b.id = f.booking_id
    where b.status not in ${list(FEE_STATUSES)} or f.practice_id <> b.practice_id or f.client_id <> b.client_id
    order by f.id`);
  return found.map((f) =>
    f.same_owner ? `fee ${f.id} on booking ${f.booking_id} (${f.status}): fees are owed only for a late cancellation or a no-show` : `fee ${f.id} belongs to another practice or client than its booking ${f.booking_id}`,
  );
};

/**
 * The calendar, as the slot engine sees it (every status of OCCUPYING_STATUSES): bookings of one
 * service at one start share seats up to its capacity; any other two may not overlap, a booking's
 * buffers counting against the other's session (buffers may overlap buffers).
 */
const calendar: Check = async (q, s) => {
  const occupying = list(OCCUPYING_STATUSES);
  const seats = await rows(q, sql<{ practice_id: string; service_id: string; start_at: string; bookings: number; capacity: number }>`
    select b.practice_id, b.service_id, b.start_at, count(*) as bookings, v.capacity from bookings b join services v on v.id = b.service_id
    where b.status in ${occupying}
    group by b.practice_id, b.service_id, b.start_at, v.capacity having count(*) > v.capacity
    order by b.practice_id, b.start_at, b.service_id`);
  const at = (instant: string, minutes: RawBuilder<unknown>) => s.plusMinutes(sql.ref(instant), minutes);
  const longestBufferBefore = sql`(select coalesce(max(buffer_before_minutes), 0) from bookings)`;
  // Each pair once, b starting at or after a; b can then only reach a's session by a's after-buffer or its own before-buffer.
  const overlaps = await rows(q, sql<{ a_id: string; b_id: string }>`
    select a.id as a_id, b.id as b_id from bookings a
    join bookings b on b.practice_id = a.practice_id
      and b.start_at >= a.start_at and (b.start_at > a.start_at or b.id > a.id)
      and b.start_at < ${at('a.end_at', sql`a.buffer_after_minutes + ${longestBufferBefore}`)}
    where a.status in ${occupying} and b.status in ${occupying}
      and not (a.service_id = b.service_id and a.start_at = b.start_at)
      and ((${at('a.start_at', sql`-a.buffer_before_minutes`)} < b.end_at and b.start_at < ${at('a.end_at', sql`a.buffer_after_minutes`)})
        or (${at('b.start_at', sql`-b.buffer_before_minutes`)} < a.end_at and a.start_at < ${at('b.end_at', sql`b.buffer_after_minutes`)}))
    order by a.id, b.id`);
  return [
    ...seats.map((k) => `slot ${k.practice_id}|${k.service_id}|${k.start_at} has ${k.bookings} bookings for ${k.capacity} seat(s)`),
    ...overlaps.map((p) => `bookings ${p.a_id} and ${p.b_id} overlap`),
  ];
};

/** A client is in one session at a time, a group session's seats included (as bookSession refuses). */
const clientSessions: Check = async (q) => {
  const busy = list(CLIENT_BUSY_STATUSES);
  const found = await rows(q, sql<{ client_id: string; a_id: string; b_id: string }>`
    select a.client_id, a.id as a_id, b.id as b_id from bookings a
    join bookings b on b.practice_id = a.practice_id and b.client_id = a.client_id
      and b.start_at >= a.start_at and (b.start_at > a.start_at or b.id > a.id) and b.start_at < a.end_at
    where a.status in ${busy} and b.status in ${busy}
    order by a.id, b.id`);
  return found.map((p) => `client ${p.client_id} has overlapping bookings ${p.a_id} and ${p.b_id}`);
};

const CHECKS: Check[] = [lotBalances, entryShapes, entryOwners, resolutions, bookingShapes, bookingHolds, resolutionsMatchStatus, holdEligibility, expiryDates, purchases, fees, calendar, clientSessions];
