import type { Db } from '../db/create-db.js';
import { practiceBySlug } from './client-sign-in.js';
import { packageView, practiceView, serviceView } from './views.js';

/** A practice's booking page: what anyone may see of the practice, and its active services and packages. */
export async function publicPage(db: Db, slug: string) {
  const practice = await practiceBySlug(db, slug);
  const [services, packages] = await Promise.all([
    db.kysely.selectFrom('services').selectAll().where('practice_id', '=', practice.id).where('active', '=', 1).orderBy('created_at').execute(),
    db.kysely.selectFrom('packages').selectAll().where('practice_id', '=', practice.id).where('active', '=', 1).orderBy('created_at').execute(),
  ]);
  const { name, slug: practiceSlug, timeZone, currency, policy } = practiceView(practice);
  return {
    practice: { name, slug: practiceSlug, timeZone, currency, policy },
    services: services.map((s) => serviceView(s, practice)),
    packages: packages.map((p) => packageView(p, practice)),
  };
}
