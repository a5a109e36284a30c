import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from '../../src/db/create-db.js';
import { DIALECTS, openTestDb } from '../support/databases.js';

const require = createRequire(import.meta.url);

for (const dialect of DIALECTS) {
  describe(`database conventions [${dialect}]`, () => {
    let db: Db;
    let url: string;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ db, url, drop } = await openTestDb(dialect));
    });
    afterAll(() => drop());

    it('returns the same JavaScript values on both dialects: text ids, ISO instants, integers, 0/1 booleans, nulls', async () => {
      await db.kysely
        .insertInto('practices')
        .values({ id: 'p1', name: 'Studio', slug: 'studio', time_zone: 'Europe/London', currency: 'USD', policy_json: '{"windowHours":24}', created_at: '2026-03-30T08:00:00.000Z' })
        .execute();
      await db.kysely
        .insertInto('packages')
        .values({ id: 'k1', practice_id: 'p1', name: 'Five', credits: 5, price_amount: 40000, validity_days: null, service_ids_json: null, active: 1, created_at: '2026-03-30T08:00:00.000Z' })
        .execute();
      const row = await db.kysely.selectFrom('packages').selectAll().where('id', '=', 'k1').executeTakeFirstOrThrow();
      expect(row).toEqual({ id: 'k1', practice_id: 'p1', name: 'Five', credits: 5, price_amount: 40000, validity_days: null, service_ids_json: null, active: 1, created_at: '2026-03-30T08:00:00.000Z' });
      const { total } = await db.kysely.selectFrom('packages').select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
      expect(total).toBe(1);
      const { sum } = await db.kysely.selectFrom('packages').select((eb) => eb.fn.sum<number>('credits').as('sum')).executeTakeFirstOrThrow();
      expect(sum).toBe(5);
    });

    it('orders ISO instants as text the same way as the instants themselves', async () => {
      const instants = ['2026-03-30T08:00:00.000Z', '2026-03-29T23:59:59.999Z', '2026-12-01T00:00:00.000Z'];
      for (const [i, created] of instants.entries()) {
        await db.kysely.insertInto('practices').values({ id: `o${i}`, name: 'x', slug: `o${i}`, time_zone: 'UTC', currency: 'USD', policy_json: '{}', created_at: created }).execute();
      }
      const rows = await db.kysely.selectFrom('practices').select('created_at').where('id', 'like', 'o%').orderBy('created_at').execute();
      expect(rows.map((r) => r.created_at)).toEqual([...instants].sort((a, b) => Date.parse(a) - Date.parse(b)));
    });

    it('enforces foreign keys', async () => {
      await expect(
        db.kysely.insertInto('calendars').values({ id: 'nope', practice_id: 'no-such-practice' }).execute(),
      ).rejects.toThrow();
    });

    it('rolls a failed write transaction back completely', async () => {
      await expect(
        db.write(async (trx) => {
          await trx.insertInto('practices').values({ id: 'rb', name: 'x', slug: 'rb', time_zone: 'UTC', currency: 'USD', policy_json: '{}', created_at: '2026-01-01T00:00:00.000Z' }).execute();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await db.kysely.selectFrom('practices').select('id').where('id', '=', 'rb').executeTakeFirst()).toBeUndefined();
    });

    if (dialect === 'sqlite') {
      it('opens SQLite in WAL mode with synchronous=FULL and foreign keys on', async () => {
        const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db.kysely);
        const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db.kysely);
        const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db.kysely);
        expect(journal.rows[0]?.journal_mode).toBe('wal');
        expect(sync.rows[0]?.synchronous).toBe(2);
        expect(fk.rows[0]?.foreign_keys).toBe(1);
      });

      it('lets another process write to the same file meanwhile without SQLITE_BUSY (BEGIN IMMEDIATE waits)', async () => {
        // A worker thread has its own connection, as a second process (migrate, verify) would.
        const file = url.slice('sqlite:'.length);
        const worker = new Worker(
          `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
           const db = new Database(${JSON.stringify(file)});
           db.pragma('busy_timeout = 5000');
           for (let i = 0; i < 200; i++) {
             db.exec('begin immediate');
             db.prepare("insert into practices (id, name, slug, time_zone, currency, policy_json, created_at) values (?, 'x', ?, 'UTC', 'USD', '{}', '2026-01-01T00:00:00.000Z')").run('x' + i, 'x' + i);
             db.exec('commit');
           }
           db.close();`,
          { eval: true },
        );
        const done = new Promise<void>((resolve, reject) => {
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
        });
        const writes = Array.from({ length: 200 }, (_, i) =>
          db.write(async (trx) => {
            const n = await trx.selectFrom('practices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
            await trx.insertInto('practices').values({ id: `w${i}`, name: String(n.n), slug: `w${i}`, time_zone: 'UTC', currency: 'USD', policy_json: '{}', created_at: '2026-01-01T00:00:00.000Z' }).execute();
          }),
        );
        await Promise.all([...writes, done]);
        const { n } = await db.kysely
          .selectFrom('practices')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where((eb) => eb.or([eb('id', 'like', 'w%'), eb('id', 'like', 'x%')]))
          .executeTakeFirstOrThrow();
        expect(n).toBe(400);
      });
    }
  });
}

for (const dialect of DIALECTS) {
  describe(`the ledger is append-only [${dialect}]`, () => {
    let db: Db;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ db, drop } = await openTestDb(dialect));
      const at = '2026-01-01T00:00:00.000Z';
      await db.kysely.insertInto('practices').values({ id: 'p', name: 'P', slug: 'p', time_zone: 'UTC', currency: 'USD', policy_json: '{}', created_at: at }).execute();
      await db.kysely.insertInto('clients').values({ id: 'c', practice_id: 'p', email: 'c@example.com', name: 'C', created_at: at }).execute();
      await db.kysely.insertInto('lots').values({ id: 'l', practice_id: 'p', client_id: 'c', package_id: null, package_name: 'x', purchase_id: null, service_ids_json: null, expires_at: null, created_at: at }).execute();
      await db.kysely.insertInto('ledger_entries').values({ id: 'e', practice_id: 'p', client_id: 'c', lot_id: 'l', booking_id: null, kind: 'grant', amount: 5, resolves_id: null, actor_kind: 'system', actor_id: null, reason: null, created_at: at }).execute();
    });
    afterAll(() => drop());

    it('refuses to update a ledger entry', async () => {
      await expect(db.kysely.updateTable('ledger_entries').set({ amount: 50 }).where('id', '=', 'e').execute()).rejects.toThrow(/immutable/);
    });

    it('refuses to delete a ledger entry', async () => {
      await expect(db.kysely.deleteFrom('ledger_entries').where('id', '=', 'e').execute()).rejects.toThrow(/immutable/);
      const row = await db.kysely.selectFrom('ledger_entries').select('amount').where('id', '=', 'e').executeTakeFirstOrThrow();
      expect(row.amount).toBe(5);
    });

    it('refuses a second resolution of one hold', async () => {
      const at = '2026-01-01T00:00:00.000Z';
      const entry = (id: string, kind: 'hold' | 'release', resolves: string | null) => ({ id, practice_id: 'p', client_id: 'c', lot_id: 'l', booking_id: null, kind, amount: 1, resolves_id: resolves, actor_kind: 'system' as const, actor_id: null, reason: null, created_at: at });
      await db.kysely.insertInto('ledger_entries').values(entry('h', 'hold', null)).execute();
      await db.kysely.insertInto('ledger_entries').values(entry('r1', 'release', 'h')).execute();
      await expect(db.kysely.insertInto('ledger_entries').values(entry('r2', 'release', 'h')).execute()).rejects.toThrow();
    });
  });
}
