import type { Trx } from '../db/create-db.js';

/** A service's name, read in the transaction that just settled or booked a session of it. */
export async function serviceName(trx: Trx, serviceId: string): Promise<string> {
  return (await trx.selectFrom('services').select('name').where('id', '=', serviceId).executeTakeFirstOrThrow()).name;
}
