import type { Db } from '../db/create-db.js';
import type { FeeRow } from '../db/schema.js';
import { paginate, type Page, type PageRequest } from './pagination.js';

/** The practice's fees, oldest first, as a collection (API.md: `?limit=` default 50, `?cursor=`). */
export async function listFees(db: Db, practiceId: string, filter: { status?: FeeRow['status'] | undefined }, page: PageRequest): Promise<Page<FeeRow>> {
  let query = db.kysely.selectFrom('fees').selectAll().where('practice_id', '=', practiceId);
  if (filter.status) query = query.where('status', '=', filter.status);
  return paginate(query, page);
}
