import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { sql } from 'kysely';
import { FakeClock } from '../../src/clock.js';
import { testConfig } from '../../src/config.js';
import { assertWriteIsolation, createDb } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { buildApp } from '../../src/http/build-app.js';
import { TEST_START, type TestContext } from '../support/app.js';
import { createTestDatabase, DIALECTS } from '../support/databases.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

// PostgreSQL only: SQLite has one isolation level (serializable writers under BEGIN IMMEDIATE).
// Managed PostgreSQL and DBAs may set `default_transaction_isolation = 'repeatable read'`; the
// booking locks are correct only under READ COMMITTED, which every write must therefore set itself.
for (const dialect of DIALECTS.filter((d) => d === 'postgres')) {
  describe('bookings on a PostgreSQL whose default isolation is REPEATABLE READ', () => {
    const ctx = { dialect } as TestContext;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      const database = await createTestDatabase(dialect);
      const name = new URL(database.url).pathname.slice(1);
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query(`ALTER DATABASE ${name} SET default_transaction_isolation = 'repeatable read'`);
      await admin.end();
      ctx.db = createDb(database.url);
      await migrateToLatest(ctx.db);
      ctx.databaseUrl = database.url;
      ctx.clock = new FakeClock(TEST_START);
      ctx.config = testConfig({ databaseUrl: database.url, rateLimitIpPerMin: 1000 });
      ctx.app = await buildApp({ config: ctx.config, db: ctx.db, clock: ctx.clock });
      await ctx.app.ready();
      drop = async () => {
        await ctx.app.close();
        await ctx.db.close();
        await database.drop();
      };
    });
    afterAll(() => drop?.());

    it('really runs with that default, and still writes under READ COMMITTED', async () => {
      const { rows } = await sql<{ transaction_isolation: string }>`show transaction_isolation`.execute(ctx.db.kysely);
      expect(rows[0]!.transaction_isolation).toBe('repeatable read');
      await expect(assertWriteIsolation(ctx.db)).resolves.toBeUndefined();
    });

    it('gives one slot to exactly one of 20 racing clients', async () => {
      const setup = await setUpPractice(ctx);
      const slug = setup.practitioner.practice.slug;
      const clients = [];
      for (let i = 0; i < 20; i++) {
        const client = await signInClient(ctx, slug);
        const granted = await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: setup.practitioner.headers, payload: { credits: 1, reason: 'test' } });
        expect(granted.statusCode).toBe(201);
        clients.push(client);
      }
      const [start] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
      const results = await Promise.all(clients.map((c) => ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: c.headers, payload: { serviceId: setup.service.id, start } })));
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
      expect(results.filter((r) => r.statusCode === 409)).toHaveLength(19);
      await expectInvariants(ctx);
    });

    it('spends one credit once when a client fires 20 bookings at once', async () => {
      const setup = await setUpPractice(ctx);
      const slug = setup.practitioner.practice.slug;
      const client = await signInClient(ctx, slug);
      await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: setup.practitioner.headers, payload: { credits: 1, reason: 'test' } });
      const starts = (await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-06')).slice(0, 20);
      const results = await Promise.all(starts.map((start) => ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: setup.service.id, start } })));
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
      expect(results.filter((r) => r.statusCode === 402)).toHaveLength(19);
      await expectInvariants(ctx);
    });

    it('answers 503 busy, writing nothing, when a stuck transaction holds the calendar longer than the lock timeout', async () => {
      const setup = await setUpPractice(ctx);
      const slug = setup.practitioner.practice.slug;
      const client = await signInClient(ctx, slug);
      await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: setup.practitioner.headers, payload: { credits: 1, reason: 'test' } });
      const [start] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
      const stuck = new pg.Client({ connectionString: ctx.databaseUrl });
      await stuck.connect();
      try {
        await stuck.query('BEGIN');
        await stuck.query('SELECT id FROM calendars WHERE id = $1 FOR UPDATE', [setup.practitioner.practice.id]);
        const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: setup.service.id, start } });
        expect(res.statusCode).toBe(503);
        expect(res.json().code).toBe('busy');
        expect(res.headers['retry-after']).toBe('1');
      } finally {
        await stuck.query('ROLLBACK');
        await stuck.end();
      }
      const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/me/bookings', headers: client.headers });
      expect(me.json().items).toEqual([]);
      await expectInvariants(ctx);
    });
  });
}
