import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/create-db.js';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { createTestDatabase, DIALECTS } from '../support/databases.js';
import { startServerProcess } from '../support/server-process.js';

const run = promisify(execFile);

describe('the server process', () => {
  it('creates and migrates its SQLite database at start and answers /healthz', async () => {
    const database = await createTestDatabase('sqlite');
    const server = await startServerProcess({ DATABASE_URL: database.url });
    try {
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', database: 'sqlite', jobs: { failingSweeps: [], failedJobs: 0 } });
      expect((await fetch(`${server.url}/api/v1/openapi.json`)).status).toBe(200);
    } finally {
      await server.stop();
      await database.drop();
    }
  });

  it('finishes an in-flight request on SIGTERM, then closes the database and exits 0', async () => {
    const database = await createTestDatabase('sqlite');
    const server = await startServerProcess({ DATABASE_URL: database.url });
    try {
      const body = JSON.stringify({ email: 'slow@example.com', password: 'correct horse battery', name: 'Slow', practiceName: 'Slow', slug: 'slow-practice', timeZone: 'UTC' });
      const { port } = new URL(server.url);
      const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/signup', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        // Half the body now; the rest after the server was told to stop.
        req.write(body.slice(0, 20));
        setTimeout(() => {
          server.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(20)), 300);
        }, 200);
      });
      const res = await response;
      expect(res.status).toBe(201);
      expect(await server.exited).toBe(0);
    } finally {
      await server.stop();
      await database.drop();
    }
  });
});

describe('migrations', () => {
  it('run once when four processes migrate one fresh SQLite file at the same time', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const migrate = () => run(process.execPath, [path.resolve('dist/src/db/migrate-cli.js')], { env: { ...process.env, DATABASE_URL: database.url } });
      const outputs = await Promise.all([migrate(), migrate(), migrate(), migrate()]);
      for (const output of outputs) expect(output.stdout).toContain('database is up to date');
      const db = createDb(database.url);
      try {
        const applied = await db.kysely.selectFrom('kysely_migration' as never).select('name' as never).execute();
        expect(applied.length).toBe(Object.keys(MIGRATIONS).length);
        const columns = await sql<{ name: string }>`select name from pragma_table_info('jobs')`.execute(db.kysely);
        expect(columns.rows.filter((c) => c.name === 'consecutive_failures')).toHaveLength(1);
      } finally {
        await db.close();
      }
    } finally {
      await database.drop();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`npm run verify [${dialect}]`, () => {
    it('passes on a sound database and lists each broken invariant otherwise, exiting 1', async () => {
      const database = await createTestDatabase(dialect);
      const db = createDb(database.url);
      try {
        await migrateToLatest(db);
        const verify = () => run(process.execPath, [path.resolve('dist/src/db/verify-cli.js')], { env: { ...process.env, DATABASE_URL: database.url } });
        expect((await verify()).stdout).toContain('all invariants hold');

        const at = '2026-01-01T00:00:00.000Z';
        await db.kysely.insertInto('practices').values({ id: 'p', name: 'P', slug: 'p-verify', time_zone: 'UTC', currency: 'USD', policy_json: '{}', created_at: at }).execute();
        await db.kysely.insertInto('clients').values({ id: 'c', practice_id: 'p', email: 'c@example.com', name: 'C', created_at: at }).execute();
        await db.kysely.insertInto('lots').values({ id: 'l', practice_id: 'p', client_id: 'c', package_id: null, package_name: 'x', purchase_id: null, service_ids_json: null, expires_at: null, created_at: at }).execute();
        // A hold with no grant behind it: available goes negative, and it belongs to no booking.
        await db.kysely.insertInto('ledger_entries').values({ id: 'e', practice_id: 'p', client_id: 'c', lot_id: 'l', booking_id: null, kind: 'hold', amount: 2, resolves_id: null, actor_kind: 'system', actor_id: null, reason: null, created_at: at }).execute();
        const failed = await verify().then(
          () => null,
          (error: { code: number; stderr: string }) => error,
        );
        expect(failed?.code).toBe(1);
        expect(failed?.stderr).toContain('available is negative (-2)');
        expect(failed?.stderr).toContain('hold e has no booking');
      } finally {
        await db.close();
        await database.drop();
      }
    });
  });
}
