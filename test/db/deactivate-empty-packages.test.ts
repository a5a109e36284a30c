import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { DIALECTS, openTestDbAt } from '../support/databases.js';

const CREATED = '2026-11-30T08:00:00.000Z';

for (const dialect of DIALECTS) {
  describe(`migration 2026-12-04-10-deactivate-empty-packages [${dialect}]`, () => {
    it('deactivates the packages that an earlier service delete left naming no service, and nothing else', async () => {
      const { db, drop } = await openTestDbAt(dialect, '2026-11-25-04-cancellation-outcome');
      try {
        await db.kysely
          .insertInto('practices')
          .values({ id: 'p1', name: 'Studio', slug: 'studio', time_zone: 'Europe/London', currency: 'USD', policy_json: '{}', created_at: CREATED })
          .execute();
        const pkg = (id: string, serviceIds: string | null, active: 0 | 1) => ({
          id, practice_id: 'p1', name: id, credits: 5, price_amount: 100, validity_days: null, service_ids_json: serviceIds, active, created_at: CREATED,
        });
        await db.kysely
          .insertInto('packages')
          .values([pkg('empty', '[]', 1), pkg('every', null, 1), pkg('one', '["s1"]', 1), pkg('off', '["s1"]', 0)])
          .execute();

        await migrateToLatest(db);

        const rows = await db.kysely.selectFrom('packages').select(['id', 'service_ids_json', 'active']).orderBy('id').execute();
        expect(rows).toEqual([
          { id: 'empty', service_ids_json: '[]', active: 0 },
          { id: 'every', service_ids_json: null, active: 1 },
          { id: 'off', service_ids_json: '["s1"]', active: 0 },
          { id: 'one', service_ids_json: '["s1"]', active: 1 },
        ]);
      } finally {
        await drop();
      }
    });
  });
}
