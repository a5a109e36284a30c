import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/app/security.js';
import { FakeClock } from '../../src/clock.js';
import { testConfig } from '../../src/config.js';
import type { Db } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { findViolations } from '../../src/db/verify.js';
import { buildApp, type App } from '../../src/http/build-app.js';
import { sha256 } from '../../src/lib/ids.js';
import { sessionCookie } from '../support/api.js';
import { DIALECTS, openTestDbAt } from '../support/databases.js';

const BEFORE = '2026-12-04-50-stripe';
/** The migration that runs right before the one under test. */
const JUST_BEFORE = '2026-12-07-10-lot-balances';
const AT = '2026-03-01T08:00:00.000Z';
const NOW = '2026-03-02T08:00:00.000Z';
const PASSWORD = 'correct horse battery';
const GRANT = { credits: 2, reason: 'carried over' };
const STORED = { id: 'l-stored', packageId: null, packageName: 'Granted', granted: 2, available: 2, held: 0, used: 0, expired: 0, expiresAt: null, serviceIds: null, createdAt: NOW };

/**
 * A database as version 1 left it — two practices, each with the one user who signed it up, a
 * live session, an API token, a client with a lot, a hold and an upcoming booking, a stored
 * idempotency key — migrated to teams: each user is their practice's owner and nothing else changed.
 */
for (const dialect of DIALECTS) {
  describe(`migration 2026-12-07-10-members [${dialect}]`, () => {
    let opened: Awaited<ReturnType<typeof openTestDbAt>>;
    let db: Db;
    let app: App;
    let before: Record<string, unknown[]>;
    const TABLES = ['practices', 'users', 'sessions', 'api_tokens', 'clients', 'lots', 'ledger_entries', 'bookings', 'idempotency_keys'] as const;

    beforeAll(async () => {
      opened = await openTestDbAt(dialect, BEFORE);
      db = opened.db;
      const k = db.kysely as unknown as Kysely<any>;
      const passwordHash = await hashPassword(PASSWORD);
      for (const n of [1, 2]) {
        const p = `p${n}`;
        await k.insertInto('practices').values({ id: p, name: `Studio ${n}`, slug: `studio-${n}`, time_zone: 'Europe/London', currency: 'USD', policy_json: '{"windowHours":24}', created_at: AT, stripe_account_id: null }).execute();
        await k.insertInto('calendars').values({ id: p, practice_id: p }).execute();
        await k.insertInto('availability').values({ practice_id: p, weekly_json: '[{"weekday":1,"start":"09:00","end":"17:00"}]', overrides_json: '[]' }).execute();
        await k.insertInto('users').values({ id: `u${n}`, practice_id: p, email: `owner${n}@example.com`, name: `Owner ${n}`, password_hash: passwordHash, created_at: AT }).execute();
        await k.insertInto('sessions').values({ token_hash: sha256(`tbs_old${n}`), kind: 'user', practice_id: p, user_id: `u${n}`, client_id: null, created_at: AT, expires_at: '2026-03-30T08:00:00.000Z' }).execute();
        await k.insertInto('api_tokens').values({ id: `t${n}`, practice_id: p, user_id: `u${n}`, name: 'script', token_hash: sha256(`tbp_old${n}`), created_at: AT, last_used_at: null, revoked_at: null }).execute();
        await k.insertInto('services').values({ id: `s${n}`, practice_id: p, name: 'Session', description: '', duration_minutes: 60, credit_cost: 1, price_amount: null, buffer_before_minutes: 0, buffer_after_minutes: 0, min_notice_minutes: 0, max_advance_days: 60, slot_step_minutes: 60, capacity: 1, policy_json: null, active: 1, created_at: AT }).execute();
        await k.insertInto('clients').values({ id: `c${n}`, practice_id: p, email: `client${n}@example.com`, name: `Client ${n}`, search_text: `client ${n} client${n}@example.com`, created_at: AT }).execute();
        await k.insertInto('lots').values({ id: `l${n}`, practice_id: p, client_id: `c${n}`, package_id: null, package_name: 'Granted', purchase_id: null, service_ids_json: null, expires_at: null, created_at: AT }).execute();
        await k.insertInto('bookings').values({ id: `b${n}`, practice_id: p, client_id: `c${n}`, service_id: `s${n}`, start_at: '2026-03-09T09:00:00.000Z', end_at: '2026-03-09T10:00:00.000Z', buffer_before_minutes: 0, buffer_after_minutes: 0, status: 'confirmed', payment_kind: 'credits', credits: 1, sequence: 0, cancel_reason: null, cancellation_json: null, created_at: AT, updated_at: AT }).execute();
        const entry = (id: string, kind: string, amount: number, bookingId: string | null, resolves: string | null) => ({
          id, practice_id: p, client_id: `c${n}`, lot_id: `l${n}`, booking_id: bookingId, kind, amount, resolves_id: resolves, actor_kind: 'practitioner', actor_id: `u${n}`, reason: kind === 'grant' ? 'welcome' : null, created_at: AT,
        });
        await k.insertInto('ledger_entries').values([entry(`g${n}`, 'grant', 3, null, null), entry(`h${n}`, 'hold', 1, `b${n}`, null)]).execute();
        await k.insertInto('idempotency_keys').values({ scope: `practitioner:u${n}:/api/v1/clients/:id/grants:{"id":"c${n}"}:key-${n}`, request_hash: sha256(JSON.stringify(GRANT)), status_code: 201, response_json: JSON.stringify(STORED), created_at: NOW }).execute();
      }
      // The migrations between the filled version and this one run first: what this one leaves alone is compared.
      await opened.migrateTo(JUST_BEFORE);
      before = {};
      for (const table of TABLES) before[table] = await k.selectFrom(table).selectAll().orderBy(table === 'sessions' ? 'token_hash' : table === 'idempotency_keys' ? 'scope' : 'id').execute();

      await migrateToLatest(db);
      app = await buildApp({ config: testConfig({ databaseUrl: opened.url }), db, clock: new FakeClock(NOW) });
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
      await opened?.drop();
    });

    it('makes every user the owner of their practice, joined when they signed up, and changes no other row', async () => {
      const members = await db.kysely.selectFrom('members').selectAll().orderBy('id').execute();
      expect(members).toEqual([
        { id: 'u1', practice_id: 'p1', user_id: 'u1', role: 'owner', name: 'Owner 1', active: 1, time_zone: null, created_at: AT, joined_at: AT },
        { id: 'u2', practice_id: 'p2', user_id: 'u2', role: 'owner', name: 'Owner 2', active: 1, time_zone: null, created_at: AT, joined_at: AT },
      ]);
      const k = db.kysely as unknown as Kysely<any>;
      for (const table of TABLES) {
        const rows = await k.selectFrom(table).selectAll().orderBy(table === 'sessions' ? 'token_hash' : table === 'idempotency_keys' ? 'scope' : 'id').execute();
        expect(rows, table).toEqual(before[table]);
      }
      expect(await findViolations(db)).toEqual([]);
    });

    it('keeps the old session and API token working, as the owner, in the same practice', async () => {
      const session = await app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: 'tb_session=tbs_old1' } });
      expect(session.statusCode, session.body).toBe(200);
      expect(session.json()).toMatchObject({
        user: { id: 'u1', email: 'owner1@example.com' },
        practice: { id: 'p1', slug: 'studio-1' },
        member: { id: 'u1', role: 'owner', active: true, timeZone: 'Europe/London' },
        practices: [{ id: 'p1', name: 'Studio 1', slug: 'studio-1', role: 'owner' }],
      });
      const bookings = await app.inject({ method: 'GET', url: '/api/v1/bookings', headers: { authorization: 'Bearer tbp_old2' } });
      expect(bookings.statusCode, bookings.body).toBe(200);
      expect(bookings.json().items.map((b: { id: string }) => b.id)).toEqual(['b2']);
    });

    it('lets the owner log in, see their practice and its team, and run it as before', async () => {
      const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'owner2@example.com', password: PASSWORD } });
      expect(login.statusCode, login.body).toBe(200);
      expect(login.json()).toMatchObject({ practice: { id: 'p2' }, member: { role: 'owner' } });
      const headers = { cookie: sessionCookie(login.headers['set-cookie'], 'tb_session') };
      const members = await app.inject({ method: 'GET', url: '/api/v1/members', headers });
      expect(members.json().items).toEqual([{ id: 'u2', email: 'owner2@example.com', name: 'Owner 2', role: 'owner', active: true, timeZone: 'Europe/London', joinedAt: AT }]);
      const client = await app.inject({ method: 'GET', url: '/api/v1/clients/c2', headers });
      expect(client.json()).toMatchObject({ credits: { available: 2, held: 1 }, ledger: [{ kind: 'hold', actor: { kind: 'practitioner', id: 'u2' } }, { kind: 'grant' }] });
      const cancel = await app.inject({ method: 'POST', url: '/api/v1/bookings/b2/cancel', headers, payload: {} });
      expect(cancel.statusCode, cancel.body).toBe(200);
      expect(cancel.json().outcome.outcome).toBe('release');
      expect((await app.inject({ method: 'PATCH', url: '/api/v1/practice', headers, payload: { name: 'Studio Two' } })).statusCode).toBe(200);
    });

    it('replays an idempotency key stored before the migration', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/clients/c1/grants', headers: { authorization: 'Bearer tbp_old1', 'idempotency-key': 'key-1' }, payload: GRANT });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(res.json()).toEqual(STORED);
    });
  });
}
