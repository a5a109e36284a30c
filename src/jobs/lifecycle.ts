import type { AppDeps } from '../deps.js';
import { iso, MINUTE_MS } from '../domain/instants.js';
import { clientLots, ownersOfExpiredCredits } from '../app/balances.js';
import { appendEntries } from '../app/ledger-writes.js';
import { settleBooking } from '../app/settle-booking.js';
import { DomainError } from '../domain/errors.js';

export const SWEEP_BATCH = 200;
const SYSTEM = { kind: 'system' as const, id: null };

/** Consumes the credits of sessions that ended `completeAfterMinutes` ago and were not settled by hand. */
export async function completeEndedSessions(deps: AppDeps, now: Date): Promise<number> {
  const cutoff = iso(now.getTime() - deps.config.completeAfterMinutes * MINUTE_MS);
  const ended = await deps.db.kysely
    .selectFrom('bookings')
    .select(['id', 'practice_id'])
    .where('status', '=', 'confirmed')
    .where('end_at', '<=', cutoff)
    .orderBy('end_at')
    .limit(SWEEP_BATCH)
    .execute();
  let completed = 0;
  for (const b of ended) {
    try {
      await deps.db.write((trx) => settleBooking(deps.db, trx, { practiceId: b.practice_id, bookingId: b.id }, { kind: 'complete' }, SYSTEM, 'completed automatically', now));
      completed++;
    } catch (error) {
      // Settled meanwhile by the practitioner or another process: nothing left to do.
      if (!(error instanceof DomainError)) throw error;
    }
  }
  return completed;
}

/** Expires the available credits of lots past their expiry (held ones still pay for their sessions). */
export async function expireLots(deps: AppDeps, now: Date): Promise<number> {
  const owners = await ownersOfExpiredCredits(deps.db.kysely, iso(now));
  let expired = 0;
  for (const owner of owners) {
    expired += await deps.db.write(async (trx) => {
      await deps.db.lockRow(trx, 'clients', owner.client_id);
      const lots = await clientLots(trx, owner.practice_id, owner.client_id);
      const due = lots.filter((l) => l.expires_at !== null && l.expires_at <= iso(now) && l.available > 0);
      await appendEntries(
        trx,
        { practiceId: owner.practice_id, clientId: owner.client_id },
        SYSTEM,
        due.map((l) => ({ lot_id: l.id, kind: 'expire' as const, amount: l.available, reason: 'the lot expired' })),
        now,
      );
      return due.reduce((n, l) => n + l.available, 0);
    });
  }
  return expired;
}
