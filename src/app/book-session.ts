import type { Db, Trx } from '../db/create-db.js';
import type { BookingRow, PracticeRow, ServiceRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { DAY_MS, iso } from '../domain/instants.js';
import { chooseLots } from '../domain/lots.js';
import { findSlot, type Slot, type SlotRules } from '../domain/slots.js';
import { clientLots, creditsAsOf, lotStates, serviceCreditsAsOf, withHolds } from './balances.js';
import { activeService, SESSION_LENGTH_MAX_MS, slotQueryFor } from './calendar.js';
import { appendEntries, type Actor } from './ledger-writes.js';
import { notifyBooked, type MailSettings } from './notify.js';
import { newId } from '../lib/ids.js';
import { money, packageView, practicePolicy, serviceOverride } from './views.js';
import { effectivePolicy, type Money } from '../domain/policy.js';
import { money as formatMoney } from '../mail/format.js';
import { holdForCheckout } from './checkouts.js';

export interface BookInput {
  practiceId: string;
  clientId: string;
  serviceId: string;
  start: Date;
  actor: Actor;
  /** Links and the reminder lead time of the mail the booking sends. */
  mail: MailSettings;
  /**
   * Pay for this session alone at the service's price instead of with credits: `now` the provider
   * settles at once (dev); `checkout` through Stripe (the booking waits in `pending_payment`, its slot
   * held SINGLE_SESSION_HOLD_MINUTES); null: no provider can take the payment.
   */
  single?: { settle: 'now' | 'checkout' | null };
}

/**
 * Books a session and pays for it with credits, in the caller's transaction. Locks the client's
 * row, then the practice's calendar row (always in that order), so two bookings that could
 * conflict — on the calendar or on the client's credits — are decided one after the other.
 */
export async function bookSession(db: Db, trx: Trx, input: BookInput, now: Date) {
  await db.lockRow(trx, 'clients', input.clientId);
  await db.lockRow(trx, 'calendars', input.practiceId);
  const practice = await trx.selectFrom('practices').selectAll().where('id', '=', input.practiceId).executeTakeFirstOrThrow();
  const service = await activeService(trx, input.practiceId, input.serviceId);

  const start = input.start.getTime();
  const slot = await assertSlotOffered(trx, practice, service, start, now, { clientId: input.clientId });
  if (input.actor.kind === 'client') await assertNoFeeBlocks(trx, practice, service, input.clientId);

  const lots = await clientLots(trx, input.practiceId, input.clientId);
  const draws = input.single ? [] : chooseLots(lotStates(lots), service.id, start, service.credit_cost);
  if (!draws) throw await creditsExhausted(trx, practice, service);
  if (input.single) assertSoldAlone(service, input.single);

  const checkoutFirst = input.single?.settle === 'checkout' && (service.price_amount ?? 0) > 0;
  const booking: BookingRow = {
    id: newId(),
    practice_id: practice.id,
    client_id: input.clientId,
    service_id: service.id,
    start_at: iso(start),
    // The slot's session: the service's now, or that of the seats already booked at this start.
    end_at: iso(slot.end),
    buffer_before_minutes: slot.bufferBeforeMinutes,
    buffer_after_minutes: slot.bufferAfterMinutes,
    status: checkoutFirst ? 'pending_payment' : 'confirmed',
    payment_kind: input.single ? 'single' : service.credit_cost > 0 ? 'credits' : 'free',
    credits: input.single ? 0 : service.credit_cost,
    sequence: 0,
    cancel_reason: null,
    created_at: iso(now),
    updated_at: iso(now),
  };
  await trx.insertInto('bookings').values(booking).execute();
  await appendEntries(
    trx,
    { practiceId: practice.id, clientId: input.clientId },
    input.actor,
    draws.map((d) => ({ lot_id: d.lotId, kind: 'hold' as const, amount: d.credits, booking_id: booking.id })),
    now,
  );
  // The balance after, derived from the holds just written; only credits usable now count, and
  // "left after this" is about this service: what could pay for another session of it.
  const after = withHolds(lots, draws);
  const credits = serviceCreditsAsOf(after, service.id, now);
  if (checkoutFirst) {
    // Confirmed (and its invite sent) when Stripe says it is paid; released if the hold runs out first.
    const checkout = await holdForCheckout(trx, { booking, practice, service }, input.mail, now);
    return { booking, service, practice, credits, checkoutId: checkout.id as string | null };
  }
  await notifyBooked(trx, { booking, practice, service, credits, balance: creditsAsOf(after, now) }, input.mail, now);
  return { booking, service, practice, credits, checkoutId: null };
}

/**
 * A start is bookable only if the slot engine offers it at this instant (past, misaligned, out of
 * hours and taken are all refused), and the client has no other session then (a group session's
 * second seat included). `session` replaces the service's duration and buffers (a booking that
 * moves keeps its own); a start that already has seats gives the slot their shape either way.
 * Returns the slot: the end and buffers the seat gets.
 */
export async function assertSlotOffered(
  trx: Trx,
  practice: PracticeRow,
  service: ServiceRow,
  start: number,
  now: Date,
  who: { clientId: string; exceptBookingId?: string },
  session?: Pick<SlotRules, 'durationMinutes' | 'bufferBeforeMinutes' | 'bufferAfterMinutes'>,
): Promise<Slot> {
  const query = await slotQueryFor(trx, practice, service, { fromMs: start - DAY_MS, toMs: start + DAY_MS, exceptBookingId: who.exceptBookingId }, now);
  const slot = findSlot(session ? { ...query, rules: { ...query.rules, ...session } } : query, start);
  if (!slot) throw new DomainError('slot_unavailable', 'that time is not available; pick another slot');
  let own = trx
    .selectFrom('bookings')
    .select('id')
    .where('practice_id', '=', practice.id)
    .where('client_id', '=', who.clientId)
    .where('status', 'in', ['confirmed', 'pending_payment'])
    .where('start_at', '<', iso(slot.end))
    // Implied by end_at > start, but lets the index stop there instead of reading the client's whole past.
    .where('start_at', '>', iso(start - SESSION_LENGTH_MAX_MS))
    .where('end_at', '>', iso(start));
  if (who.exceptBookingId) own = own.where('id', '!=', who.exceptBookingId);
  if (await own.executeTakeFirst()) throw new DomainError('slot_unavailable', 'you already have a session at that time');
  return slot;
}

function assertSoldAlone(service: ServiceRow, single: { settle: 'now' | 'checkout' | null }): void {
  if (service.price_amount === null) throw new DomainError('conflict', `"${service.name}" is not sold as a single session; it is paid with credits`);
  if (single.settle === null) throw new DomainError('payments_not_configured', 'this practice cannot take payments online yet; ask your practitioner');
}

/**
 * With `blockBookingWhileFeeOwed`, a client who owes a fee books again once it is paid or waived
 * (the practitioner still can). `feesOwed` is one total per currency: fees recorded before the
 * practice changed its currency are never added to fees in the new one.
 */
async function assertNoFeeBlocks(trx: Trx, practice: PracticeRow, service: ServiceRow, clientId: string) {
  if (!effectivePolicy(practicePolicy(practice), serviceOverride(service)).blockBookingWhileFeeOwed) return;
  const owed = await trx.selectFrom('fees').select(['amount', 'currency']).where('practice_id', '=', practice.id).where('client_id', '=', clientId).where('status', '=', 'owed').execute();
  if (owed.length === 0) return;
  const feesOwed = totalsByCurrency(owed);
  const amounts = feesOwed.map(formatMoney).join(' and ');
  const detail = owed.length === 1 ? `a fee of ${amounts} is owed; once it is paid or waived` : `fees of ${amounts} are owed; once they are paid or waived`;
  throw new DomainError('conflict', `${detail} you can book again`, { feesOwed });
}

/** One sum per currency, in currency order. */
function totalsByCurrency(amounts: Money[]): Money[] {
  const sums = new Map<string, number>();
  for (const { amount, currency } of amounts) sums.set(currency, (sums.get(currency) ?? 0) + amount);
  return [...sums.keys()].sort().map((currency) => ({ amount: sums.get(currency)!, currency }));
}

/** The 402 that turns into a "buy a package" step: the packages that would cover the service. */
export async function creditsExhausted(trx: Trx, practice: PracticeRow, service: ServiceRow): Promise<DomainError> {
  const packages = await trx.selectFrom('packages').selectAll().where('practice_id', '=', practice.id).where('active', '=', 1).orderBy('created_at').execute();
  const covering = packages.filter((p) => p.service_ids_json === null || (JSON.parse(p.service_ids_json) as string[]).includes(service.id));
  return new DomainError('credits_exhausted', `no credits cover "${service.name}" at that time`, {
    packages: covering.map((p) => packageView(p, practice)),
    singleSessionPrice: money(service.price_amount, practice.currency),
  });
}
