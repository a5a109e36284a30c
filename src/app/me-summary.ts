import type { Db } from '../db/create-db.js';
import { coverage } from '../domain/lots.js';
import { balanceOf, lotStates } from './balances.js';
import { clientView, feeView, lotView } from './views.js';

/** The signed-in client's page: the client, their credits by lot, what they cover now, and fees owed. */
export async function meSummary(db: Db, practiceId: string, clientId: string, now: Date) {
  const kysely = db.kysely;
  const client = await kysely.selectFrom('clients').selectAll().where('id', '=', clientId).executeTakeFirstOrThrow();
  const { lots, credits } = await balanceOf(kysely, practiceId, clientId, now);
  const services = await kysely.selectFrom('services').select('id').where('practice_id', '=', practiceId).where('active', '=', 1).orderBy('created_at').execute();
  const fees = await kysely.selectFrom('fees').selectAll().where('practice_id', '=', practiceId).where('client_id', '=', clientId).orderBy('created_at', 'desc').execute();
  const states = lotStates(lots);
  return {
    client: clientView(client, credits),
    credits,
    lots: lots.map(lotView),
    coverage: services.map((s) => ({ serviceId: s.id, available: coverage(states, s.id, now.getTime()) })),
    fees: fees.map(feeView),
  };
}
