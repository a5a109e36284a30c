import type { Db } from '../db/create-db.js';
import type { ClientRow } from '../db/schema.js';
import { balanceOf } from './balances.js';
import { clientView } from './views.js';

/** A client as the API shows one: who they are and their credits now. */
export async function clientWithCredits(db: Db, client: ClientRow, now: Date) {
  const { credits } = await balanceOf(db.kysely, client.practice_id, client.id, now);
  return clientView(client, credits);
}
