import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Db } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { DIALECTS, openTestDbAt } from '../support/databases.js';

const AT = '2026-03-02T08:00:00.000Z';
const BEFORE = '2026-12-04-50-stripe';

for (const dialect of DIALECTS) {
  describe(`lots' stored buckets, filled from the ledger [${dialect}]`, () => {
    let db: Db;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ db, drop } = await openTestDbAt(dialect, BEFORE));
    });
    afterAll(() => drop());

    it('gives every existing lot the sums of its entries, of every kind, and an empty lot zeros', async () => {
      const k = db.kysely as unknown as Kysely<any>;
      await k.insertInto('practices').values({ id: 'p', name: 'Studio', slug: 'studio', time_zone: 'Europe/London', currency: 'USD', policy_json: '{}', created_at: AT }).execute();
      await k.insertInto('clients').values({ id: 'c', practice_id: 'p', email: 'ann@example.com', name: 'Ann', created_at: AT }).execute();
      const lot = (id: string) => ({ id, practice_id: 'p', client_id: 'c', package_id: null, package_name: 'Five', purchase_id: null, service_ids_json: null, expires_at: null, created_at: AT });
      await k.insertInto('lots').values([lot('busy'), lot('empty')]).execute();
      const moves: [string, number][] = [
        ['grant', 5], ['hold', 1], ['consume', 1], ['hold', 2], ['release', 2], ['hold', 1], ['forfeit', 1],
        ['restore', 1], ['adjust', 3], ['adjust', -1], ['expire', 2], ['revoke', 1], ['hold', 1],
      ];
      let n = 0;
      await k
        .insertInto('ledger_entries')
        .values(moves.map(([kind, amount]) => ({ id: `e${String(n++).padStart(2, '0')}`, practice_id: 'p', client_id: 'c', lot_id: 'busy', booking_id: null, kind, amount, resolves_id: null, actor_kind: 'system', actor_id: null, reason: null, created_at: AT })))
        .execute();

      await migrateToLatest(db);

      const stored = await db.kysely.selectFrom('lots').select(['id', 'granted', 'available', 'held', 'used', 'expired']).orderBy('id').execute();
      // granted 5 + 3 - 1 = 7; used 1 + 1 - 1 = 1; held 1 - 1 + 2 - 2 + 1 - 1 + 1 = 1; expired 2 + 1 = 3; available 7 - 1 - 1 - 3 = 2.
      expect(stored).toEqual([
        { id: 'busy', granted: 7, available: 2, held: 1, used: 1, expired: 3 },
        { id: 'empty', granted: 0, available: 0, held: 0, used: 0, expired: 0 },
      ]);
    });
  });
}
