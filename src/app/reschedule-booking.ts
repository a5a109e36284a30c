import type { Db, Trx } from '../db/create-db.js';
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
 * one taken together. The holds stay unless a paying lot expires before the new start; then the
 * credits are paid again from lots valid at the new start, or the move is refused with 402.
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

  const owner = { practiceId: practice.id, clientId: booking.client_id };
  const holds = await openHolds(trx, practice.id, booking.id);
  const lots = await clientLots(trx, practice.id, booking.client_id);
  const expiresBefore = (lotId: string) => {
    const expiresAt = lots.find((l) => l.id === lotId)?.expires_at ?? null;
    return expiresAt !== null && Date.parse(expiresAt) <= start;
  };
  if (holds.some((h) => expiresBefore(h.lot_id))) {
    // Pay again as if the held credits were back: release them, then choose lots for the new start.
    const states = lotStates(lots).map((l) => ({ ...l, available: l.available + holds.filter((h) => h.lot_id === l.id).reduce((n, h) => n + h.amount, 0) }));
    const draws = chooseLots(states, service.id, start, booking.credits);
    if (!draws) throw await creditsExhausted(trx, practice, service);
    await appendEntries(trx, owner, actor, holds.map((h) => ({ lot_id: h.lot_id, kind: 'release' as const, amount: h.amount, booking_id: booking.id, resolves_id: h.id, reason: 'rescheduled past the lot’s expiry' })), now);
    await appendEntries(trx, owner, actor, draws.map((d) => ({ lot_id: d.lotId, kind: 'hold' as const, amount: d.credits, booking_id: booking.id })), now);
  }

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
