import type { Db, Trx } from '../db/create-db.js';
import type { BookingRow, PracticeRow, ServiceRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso, MINUTE_MS } from '../domain/instants.js';
import { chooseLots } from '../domain/lots.js';
import { decideReschedule } from '../domain/policy.js';
import { clientLots, lotStates } from './balances.js';
import { assertSlotOffered, creditsExhausted } from './book-session.js';
import { appendEntries, openHolds, type Actor } from './ledger-writes.js';
import { notifyRescheduled, type MailSettings } from './notify.js';
import { bookingFacts, loadBooking, type BookingScope } from './settle-booking.js';

/**
 * Moves a booking to another offered slot in one transaction: the old seat is freed and the new
 * one taken together, and the credits are paid again first-to-expire for the new start (402 when
 * no lots valid then cover them).
 */
export async function rescheduleBooking(db: Db, trx: Trx, scope: BookingScope, newStart: Date, actor: Actor, now: Date, mail: MailSettings) {
  const pre = await loadBooking(trx, scope);
  await db.lockRow(trx, 'clients', pre.booking.client_id);
  await db.lockRow(trx, 'calendars', scope.practiceId);
  const { booking, service, practice, policy } = await loadBooking(trx, scope);
  decideReschedule(bookingFacts(booking), policy, actor.kind === 'client' ? 'client' : 'practitioner', now.getTime());

  const start = newStart.getTime();
  // The booking keeps its own session (length and buffers, as booked), unless it joins seats already booked at the new start.
  const session = {
    durationMinutes: (Date.parse(booking.end_at) - Date.parse(booking.start_at)) / MINUTE_MS,
    bufferBeforeMinutes: booking.buffer_before_minutes,
    bufferAfterMinutes: booking.buffer_after_minutes,
  };
  const slot = await assertSlotOffered(trx, practice, service, start, now, { clientId: booking.client_id, exceptBookingId: booking.id }, session);

  await payAgain(trx, practice, booking, service, start, actor, now);

  const moved = await trx
    .updateTable('bookings')
    .set({
      start_at: iso(start),
      end_at: iso(slot.end),
      buffer_before_minutes: slot.bufferBeforeMinutes,
      buffer_after_minutes: slot.bufferAfterMinutes,
      sequence: booking.sequence + 1,
      updated_at: iso(now),
    })
    .where('id', '=', booking.id)
    .where('status', '=', 'confirmed')
    .returningAll()
    .executeTakeFirst();
  if (!moved) throw new DomainError('conflict', 'the booking changed meanwhile; try again');
  await notifyRescheduled(trx, { before: booking, booking: moved, practice, service }, mail, now);
  return { booking: moved, service };
}

/**
 * Every move chooses the paying lots again, as a booking made now for the new start would (DESIGN.md
 * "Which lot pays"), counting the booking's held credits as available: moved earlier, a lot that
 * expires sooner pays again instead of expiring unused. When the choice is the one already held,
 * nothing is written; otherwise every open hold is released and the new choice held, all appended.
 */
async function payAgain(trx: Trx, practice: PracticeRow, booking: BookingRow, service: ServiceRow, start: number, actor: Actor, now: Date): Promise<void> {
  const owner = { practiceId: practice.id, clientId: booking.client_id };
  const holds = await openHolds(trx, owner.practiceId, booking.id);
  const heldFrom = (lotId: string) => holds.filter((h) => h.lot_id === lotId).reduce((n, h) => n + h.amount, 0);
  const lots = lotStates(await clientLots(trx, owner.practiceId, owner.clientId)).map((l) => ({ ...l, available: l.available + heldFrom(l.id) }));
  const draws = chooseLots(lots, service.id, start, booking.payment_kind === 'credits' ? booking.credits : 0);
  if (!draws) throw await creditsExhausted(trx, practice, service);
  const unchanged = draws.length === new Set(holds.map((h) => h.lot_id)).size && draws.every((d) => heldFrom(d.lotId) === d.credits);
  if (unchanged) return;
  const reason = 'rescheduled: paid again by the lot that expires first';
  await appendEntries(trx, owner, actor, holds.map((h) => ({ lot_id: h.lot_id, kind: 'release' as const, amount: h.amount, booking_id: booking.id, resolves_id: h.id, reason })), now);
  await appendEntries(trx, owner, actor, draws.map((d) => ({ lot_id: d.lotId, kind: 'hold' as const, amount: d.credits, booking_id: booking.id })), now);
}
