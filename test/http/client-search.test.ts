import { Migrator, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listClients } from '../../src/app/clients.js';
import { createDb, type Db } from '../../src/db/create-db.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { clientSearchText, normalizeForSearch, searchPattern } from '../../src/domain/search-text.js';
import { describeEachDialect } from '../support/app.js';
import { createTestDatabase, DIALECTS } from '../support/databases.js';
import { as, expectOk, type Caller } from '../support/http.js';
import { latestMail } from '../support/api.js';
import { expectInvariants, setUpPractice } from '../support/scenario.js';

/*
 * Client search (review C9) answers the same on SQLite and PostgreSQL: `_`, `%` and `\` are
 * literal, case and accents do not matter ("emile" finds "Émile"), whatever the database's locale,
 * and the list comes in the same order. Each dialect gets the same clients and the same queries
 * and must give the same answers, which are written down once below.
 */

const CLIENTS = [
  { name: 'John Doe', email: 'john_doe@example.com' },
  { name: 'Johan Xdoe', email: 'johnxdoe@example.com' },
  { name: '100% Fit Ltd', email: 'fit@example.com' },
  { name: 'Back\\slash', email: 'bs@example.com' },
  { name: 'Émile Zola', email: 'ez@example.com' },
  { name: 'ZOË Kravitz', email: 'zk@example.com' },
  { name: 'Anna Straße', email: 'as@example.com' },
  { name: 'Łukasz Nowak', email: 'ln@example.com' },
  { name: 'İlker Başbuğ', email: 'ib@example.com' },
  { name: 'alice Ｗong', email: 'aw@example.com' },
];

/** Query → the names found, in the list's order (case and accents ignored: "100% fit", "alice", "anna", …). */
const SEARCHES: [string, string[]][] = [
  ['john_doe', ['John Doe']],
  ['JOHN_DOE', ['John Doe']],
  ['_', ['John Doe']],
  ['%', ['100% Fit Ltd']],
  ['100%', ['100% Fit Ltd']],
  ['0% f', ['100% Fit Ltd']],
  ['0%f', []],
  ['\\', ['Back\\slash']],
  ['doe', ['Johan Xdoe', 'John Doe']],
  ['émile', ['Émile Zola']],
  ['ÉMILE', ['Émile Zola']],
  ['emile', ['Émile Zola']],
  ['Emile Z', ['Émile Zola']],
  ['zoë', ['ZOË Kravitz']],
  ['zoe', ['ZOË Kravitz']],
  ['strasse', ['Anna Straße']],
  ['STRASSE', ['Anna Straße']],
  ['łukasz', ['Łukasz Nowak']],
  ['lukasz', ['Łukasz Nowak']],
  ['ilker', ['İlker Başbuğ']],
  ['İLKER BAŞBUĞ', ['İlker Başbuğ']],
  ['wong', ['alice Ｗong']],
  ['ALICE', ['alice Ｗong']],
  // Name and email are searched apart: nothing matches across the two.
  ['zola ez', []],
  ['ez@', ['Émile Zola']],
  ['nobody', []],
];

const ORDER = ['100% Fit Ltd', 'alice Ｗong', 'Anna Straße', 'Back\\slash', 'Émile Zola', 'İlker Başbuğ', 'Johan Xdoe', 'John Doe', 'Łukasz Nowak', 'ZOË Kravitz'];

describe('the search text', () => {
  it('folds case, accents, compatibility forms and a few letters, and keeps name and email apart', () => {
    expect(normalizeForSearch('Émile ÇA Ｗong ﬁne Straße Øre İlker ΣΊΣΥΦΟΣ Пётр')).toBe('emile ca wong fine strasse ore ilker σισυφοσ петр');
    expect(clientSearchText('Émile Zola', 'ez@example.com')).toBe('emile zola\nez@example.com');
    expect(searchPattern('100%_\\É')).toBe('%100\\%\\_\\\\e%');
  });
});

describeEachDialect('client search', (ctx) => {
  let practitioner: Caller;
  let practitionerHeaders: Record<string, string>;
  const names = async (query: string) => {
    const res = await practitioner('GET', `/clients?limit=500${query ? `&q=${encodeURIComponent(query)}` : ''}`);
    expectOk(res);
    return res.json().items.map((c: { name: string }) => c.name);
  };

  beforeAll(async () => {
    const setup = await setUpPractice(ctx);
    practitioner = as(ctx, setup.practitioner.headers);
    practitionerHeaders = setup.practitioner.headers;
    for (const client of CLIENTS) expectOk(await practitioner('POST', '/clients', client), 201);
  });
  afterAll(() => expectInvariants(ctx));

  it.each(SEARCHES)('finds %j: %j', async (query, expected) => {
    expect(await names(query)).toEqual(expected);
  });

  it('lists every client in the same order on both dialects, ignoring case and accents', async () => {
    expect(await names('')).toEqual(ORDER);
  });

  it('pages the search in that order', async () => {
    const first = (await practitioner('GET', '/clients?limit=2&q=example')).json();
    expect(first.items.map((c: { name: string }) => c.name)).toEqual(ORDER.slice(0, 2));
    const second = (await practitioner('GET', `/clients?limit=2&q=example&cursor=${encodeURIComponent(first.nextCursor)}`)).json();
    expect(second.items.map((c: { name: string }) => c.name)).toEqual(ORDER.slice(2, 4));
  });

  it('finds a client who signed up on the booking page by name without accents, and no longer finds an erased one', async () => {
    const slug = (await practitioner('GET', '/practice')).json().slug;
    const email = 'chloe.d@example.com';
    const asked = await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/code`, payload: { email, name: 'Chloé Dubois' } });
    expect(asked.statusCode).toBe(202);
    const code = /code: (\d{6})/.exec((await latestMail(ctx, email))!.subject)![1];
    const verified = await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/verify`, payload: { email, code } });
    expectOk(verified);
    const clientId = verified.json().client.id as string;
    expect(await names('chloé')).toEqual(['Chloé Dubois']);
    expect(await names('CHLOE')).toEqual(['Chloé Dubois']);

    expectOk(await ctx.app.inject({ method: 'DELETE', url: `/api/v1/clients/${clientId}`, headers: practitionerHeaders }));
    expect(await names('chlo')).toEqual([]);
    expect(await names('dubois')).toEqual([]);
    expect(await names('erased client')).toEqual(['Erased client']);
  });
});

/** The column is filled for clients who existed before the migration that adds it. */
for (const dialect of DIALECTS) {
  describe(`the search column's backfill [${dialect}]`, () => {
    let db: Db;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const database = await createTestDatabase(dialect);
      db = createDb(database.url);
      drop = async () => {
        await db.close();
        await database.drop();
      };
    });
    afterAll(() => drop());

    it('fills search_text for existing clients, so they are found after the upgrade', async () => {
      const names = Object.keys(MIGRATIONS).sort();
      const before = names[names.indexOf('2026-12-04-30-client-search') - 1]!;
      const migrator = new Migrator({ db: db.kysely, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateTo(before)).error).toBeUndefined();
      const old = db.kysely as unknown as Kysely<any>;
      const at = '2026-01-01T00:00:00.000Z';
      await old.insertInto('practices').values({ id: 'p', name: 'P', slug: 'p', time_zone: 'UTC', currency: 'USD', policy_json: '{}', created_at: at }).execute();
      await old.insertInto('clients').values(CLIENTS.map((c, i) => ({ id: `c${String(i).padStart(2, '0')}`, practice_id: 'p', email: c.email, name: c.name, created_at: at }))).execute();

      await migrateToLatest(db);
      const rows = await db.kysely.selectFrom('clients').select(['name', 'email', 'search_text']).orderBy('id').execute();
      expect(rows.map((r) => r.search_text)).toEqual(CLIENTS.map((c) => clientSearchText(c.name, c.email)));
      const found = await listClients(db, 'p', { q: 'EMILE' }, new Date(at));
      expect(found.items.map((c) => c.name)).toEqual(['Émile Zola']);
    });
  });
}
