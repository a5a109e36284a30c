import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/create-db.js';
import { findViolations } from '../../src/db/verify.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { http, startServerProcess, type ServerProcess } from '../support/server-process.js';

/**
 * Two server processes on one database, as behind a load balancer: each has its own connections,
 * so here, unlike in one process, their transactions really do run at the same time, and only the
 * database's locks keep seats and credits safe. On PostgreSQL those are the row locks
 * (`SELECT … FOR UPDATE`); on SQLite the write lock that `BEGIN IMMEDIATE` takes at the start of
 * each transaction, waited for through `busy_timeout` (with a plain `BEGIN`, a transaction that
 * read first and writes second fails with SQLITE_BUSY when the other process wrote in between).
 */
for (const dialect of DIALECTS) {
  describe(`two server processes sharing one ${dialect === 'postgres' ? 'PostgreSQL database' : 'SQLite file'} [${dialect}]`, () => {
    let database: TestDatabase;
    let servers: ServerProcess[] = [];

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      const env = { DATABASE_URL: database.url, RATE_LIMIT_IP_PER_MIN: '10000', RUN_JOBS: 'false' };
      servers = [await startServerProcess(env), await startServerProcess(env)];
    }, 60_000);

    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await database?.drop();
    });

    async function practiceWithClients(count: number, creditsEach: number) {
      const [a] = servers;
      const slug = `two-${Date.now().toString(36)}`;
      const signup = await http(`${a!.url}/api/v1/signup`, { method: 'POST', body: { email: `${slug}@example.com`, password: 'correct horse battery', name: 'Dana', practiceName: 'Dana', slug, timeZone: 'UTC' } });
      expect(signup.status).toBe(201);
      const practitioner = signup.setCookie.find((c) => c.startsWith('tb_session='))!.split(';')[0]!;
      const call = (path: string, body: unknown, method = 'POST') => http(`${a!.url}/api/v1${path}`, { method, body, cookie: practitioner });
      // Open every day, all day, so slots exist whatever the real date is.
      expect((await call('/availability', { weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })), overrides: [] }, 'PUT')).status).toBe(200);
      const service = (await call('/services', { name: 'Session', durationMinutes: 60, minNoticeMinutes: 120 })).body;
      const clients = [];
      for (let i = 0; i < count; i++) {
        const created = await call('/clients', { email: `c${i}-${slug}@example.com`, name: `Client ${i}` });
        expect(created.status).toBe(201);
        expect((await call(`/clients/${created.body.id}/grants`, { credits: creditsEach, reason: 'test' })).status).toBe(201);
        clients.push(created.body.id as string);
      }
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const slots = await http(`${a!.url}/api/v1/public/${slug}/services/${service.id}/slots?from=${tomorrow}&to=${tomorrow}`);
      return { practitioner, service, clients, starts: slots.body.slots.map((s: { start: string }) => s.start) as string[] };
    }

    it('puts exactly one of 20 concurrent bookings for one slot, sent through both processes, in the seat', async () => {
      const { practitioner, service, clients, starts } = await practiceWithClients(20, 1);
      const results = await Promise.all(
        clients.map((clientId, i) => http(`${servers[i % 2]!.url}/api/v1/bookings`, { method: 'POST', cookie: practitioner, body: { clientId, serviceId: service.id, start: starts[0] } })),
      );
      // Every status, so a lock that failed instead of waiting shows as the 500 it answered.
      expect(results.map((r) => r.status).sort()).toEqual([201, ...Array<number>(19).fill(409)]);
    });

    it('spends a single credit once when 20 bookings for 20 slots arrive through both processes', async () => {
      const { practitioner, service, clients, starts } = await practiceWithClients(1, 1);
      const results = await Promise.all(
        starts.slice(0, 20).map((start, i) => http(`${servers[i % 2]!.url}/api/v1/bookings`, { method: 'POST', cookie: practitioner, body: { clientId: clients[0], serviceId: service.id, start } })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, ...Array<number>(19).fill(402)]);
      const detail = await http(`${servers[1]!.url}/api/v1/clients/${clients[0]}`, { cookie: practitioner });
      expect(detail.body.credits).toEqual({ available: 0, held: 1, used: 0, expired: 0 });
    });

    it('keeps every invariant on the shared database', async () => {
      const db = createDb(database.url);
      try {
        expect(await findViolations(db)).toEqual([]);
      } finally {
        await db.close();
      }
    });
  });
}
