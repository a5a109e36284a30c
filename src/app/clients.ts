import { sql } from 'kysely';
import type { Db } from '../db/create-db.js';
import type { ClientRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { DAY_MS, iso } from '../domain/instants.js';
import { clientSearchText, LIKE_ESCAPE, searchPattern } from '../domain/search-text.js';
import { creditsAsOf, lotsOfClients, type LotBalance } from './balances.js';
import { isUniqueViolation } from './db-errors.js';
import { newId } from '../lib/ids.js';
import { offsetOf, offsetPage } from './offset-cursor.js';

export const CLIENTS_PAGE_DEFAULT = 50;
/** Credits expiring within this many days are "expiring soon" on the dashboard. */
export const EXPIRING_SOON_DAYS = 14;

export async function createClient(db: Db, practiceId: string, input: { email: string; name: string }, now: Date): Promise<ClientRow> {
  const client = newClient(practiceId, input.email.trim().toLowerCase(), input.name, now);
  try {
    await db.write((trx) => trx.insertInto('clients').values(client).execute());
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('conflict', 'a client with this email exists');
    throw error;
  }
  return client;
}

/** A new client's row; every way a client comes to be goes through here, so their search text is there. */
export function newClient(practiceId: string, email: string, name: string, now: Date): ClientRow {
  return { id: newId(), practice_id: practiceId, email, name, search_text: clientSearchText(name, email), created_at: iso(now) };
}

/**
 * The client list with balances, next/last session and credits expiring soon; `q` matches name or
 * email, ignoring case and accents, with `%` and `_` taken literally. Ordered by the same
 * normalized text (then id), so the order is the same on both dialects too.
 */
export async function listClients(db: Db, practiceId: string, page: { q?: string | undefined; limit?: number | undefined; cursor?: string | undefined }, now: Date) {
  const limit = page.limit ?? CLIENTS_PAGE_DEFAULT;
  const offset = offsetOf(page.cursor);
  const kysely = db.kysely;
  let query = kysely.selectFrom('clients').selectAll().where('practice_id', '=', practiceId);
  if (page.q) query = query.where(sql<boolean>`search_text like ${searchPattern(page.q)} escape ${LIKE_ESCAPE}`);
  const rows = await query.orderBy('search_text').orderBy('id').limit(limit + 1).offset(offset).execute();
  const { items: clients, nextCursor } = offsetPage(rows, offset, limit);
  const ids = clients.map((c) => c.id);
  const lots = await lotsOfClients(kysely, practiceId, ids);
  const lotsOf = (clientId: string) => lots.filter((l) => l.client_id === clientId);
  const nowIso = iso(now);
  const sessions = ids.length
    ? await kysely
        .selectFrom('bookings')
        .select(['client_id', 'start_at', 'status'])
        .where('practice_id', '=', practiceId)
        .where('client_id', 'in', ids)
        .where('status', 'in', ['confirmed', 'completed', 'no_show'])
        .execute()
    : [];
  const expiring = expiringSoon(lots, now);
  return {
    items: clients.map((c) => {
      const mine = sessions.filter((s) => s.client_id === c.id);
      const upcoming = mine.filter((s) => s.status === 'confirmed' && s.start_at >= nowIso).map((s) => s.start_at).sort();
      const past = mine.filter((s) => s.start_at < nowIso).map((s) => s.start_at).sort();
      return {
        id: c.id,
        email: c.email,
        name: c.name,
        credits: creditsAsOf(lotsOf(c.id), now),
        nextSession: upcoming[0] ?? null,
        lastSession: past.at(-1) ?? null,
        expiringSoon: expiring.get(c.id) ?? null,
      };
    }),
    nextCursor,
  };
}

/** Per client: available credits in lots that expire within EXPIRING_SOON_DAYS, and the first such expiry. */
function expiringSoon(lots: LotBalance[], now: Date) {
  const result = new Map<string, { credits: number; expiresAt: string }>();
  const horizon = iso(now.getTime() + EXPIRING_SOON_DAYS * DAY_MS);
  const expiring = lots.filter((l) => l.available > 0 && l.expires_at !== null && l.expires_at > iso(now) && l.expires_at <= horizon);
  for (const lot of expiring) {
    const seen = result.get(lot.client_id);
    result.set(lot.client_id, {
      credits: (seen?.credits ?? 0) + lot.available,
      expiresAt: seen && seen.expiresAt < lot.expires_at! ? seen.expiresAt : lot.expires_at!,
    });
  }
  return result;
}
