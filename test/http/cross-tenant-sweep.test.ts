import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { latestMail, unique } from '../support/api.js';
import { icsFile, startIcsServer } from '../support/ics-server.js';
import { expectInvariants, setUpPractice, signInClient, type SignedInClient } from '../support/scenario.js';

/**
 * Practice B, its practitioner (by cookie and by API token) and its client call every operation of
 * the OpenAPI document that names something by id, with practice A's real ids: A's clients, lots,
 * purchases, bookings upcoming and settled, fees, services, packages, API token and imported
 * calendar. Each call must answer exactly as for an id that does not exist (404 `not_found`, an
 * empty list for a list filter, or a 400 naming the field for an id inside a body), show B none
 * of A's data, and change nothing. A second client of A tries the first client's bookings and
 * purchases on the /me routes the same way.
 *
 * The routes come from the document, the ids from maps keyed by parameter name: a new route whose
 * path, query or body names an id this file does not know fails the sweep until it is added here.
 */

const ics = await startIcsServer();
afterAll(() => ics.close());

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; required?: string[]; anyOf?: JsonSchema[]; $ref?: string };
type Parameter = { in: string; name: string; required?: boolean };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } };
type OpenApi = { paths: Record<string, Record<string, Operation>> };
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Operations the sweep leaves alone, and why. Each must still exist in the document. */
const EXEMPT: Record<string, string> = {
  'GET /api/v1/calendar-feed/{token}.ics': 'a capability URL: the secret in the path is the credential, so whoever holds A’s token reads A’s feed by design (B’s own feed is checked for A’s data below)',
  'GET /api/v1/dev/outbox': 'a development tool, not served in production, that shows every mail by address to anyone (review SEC1)',
};

/** Query parameters that page or filter and name nothing. Any other query parameter must be in QUERY_IDS. */
const NOT_IDS_IN_QUERY = new Set(['limit', 'cursor', 'from', 'to', 'status', 'credits']);
/** A body field with a name like this names something by id: it must be in BODY_IDS. */
const ID_FIELD = /(^id|Id|Ids)$/;
/** Body fields named like ids that name nothing of Tallybook's (a Stripe Connect account is Stripe's). */
const NOT_IDS_IN_BODY = new Set(['stripeAccountId']);
const namesAnId = (field: string) => ID_FIELD.test(field) && !NOT_IDS_IN_BODY.has(field);
/** Values for the other required fields of a body, by name, so the request reaches the id check. */
const BODY_VALUES: Record<string, unknown> = {
  start: '2026-03-13T10:00:00.000Z', // a free slot of B's (and A's) service, a Friday
  reason: 'cross-tenant sweep',
  credits: 1,
  amount: 1,
  name: 'Sweep',
  price: { amount: 100, currency: 'USD' },
};

interface Practice {
  id: string;
  marker: string;
  slug: string;
  headers: Record<string, string>;
  bearer: Record<string, string>;
  tokenSecret: string;
  feedToken: string;
  client: SignedInClient;
  other: SignedInClient;
  ids: {
    services: string[];
    packages: string[];
    lots: string[];
    purchases: string[];
    /** The first client's bookings, each in another state. */
    bookings: Record<string, string>;
    otherBooking: string;
    fees: string[];
    token: string;
    externalCalendar: string;
    members: string[];
  };
}

/**
 * Where each id in a path comes from, by `segment/{param}`: the practice's values, the first one
 * usable as the caller's own. `scope: 'client'` ids belong to one client, so another client of the
 * same practice is swept with them too.
 */
const PATH_IDS: Record<string, { scope: 'practice' | 'client'; of(p: Practice): string[] }> = {
  'clients/{id}': { scope: 'practice', of: (p) => [p.client.id, p.other.id] },
  'bookings/{id}': { scope: 'client', of: (p) => Object.values(p.ids.bookings) },
  'purchases/{id}': { scope: 'client', of: (p) => p.ids.purchases },
  'fees/{id}': { scope: 'practice', of: (p) => p.ids.fees },
  'services/{id}': { scope: 'practice', of: (p) => p.ids.services },
  'services/{serviceId}': { scope: 'practice', of: (p) => p.ids.services },
  'packages/{id}': { scope: 'practice', of: (p) => p.ids.packages },
  'tokens/{id}': { scope: 'practice', of: (p) => [p.ids.token] },
  'external-calendars/{id}': { scope: 'practice', of: (p) => [p.ids.externalCalendar] },
  'members/{id}': { scope: 'practice', of: (p) => p.ids.members },
};
/** Query parameters that narrow a list to something of A's: B must get an empty list. */
const QUERY_IDS: Record<string, (p: Practice) => string[]> = {
  clientId: (p) => [p.client.id, p.other.id],
  q: (p) => [p.client.email, `Client One ${p.marker}`, p.marker],
};
/** Ids inside request bodies, by field name; the first is the caller's own. */
const BODY_IDS: Record<string, (p: Practice) => (string | string[])[]> = {
  clientId: (p) => [p.client.id, p.other.id],
  serviceId: (p) => p.ids.services,
  serviceIds: (p) => p.ids.services.map((id) => [id]),
  packageId: (p) => p.ids.packages,
  lotId: (p) => p.ids.lots,
  practiceId: (p) => [p.id],
};
const NO_SUCH_ID = 'no-such-id';

interface Caller {
  label: string;
  headers: Record<string, string>;
  /** The caller's own practice, whose ids fill every slot but the one swept. */
  own: Practice;
  /** The ids the caller must not reach for a slot, or null when the slot is not swept for this caller. */
  foreign(slot: Slot): (string | string[])[] | null;
}

type Slot = { in: 'path'; name: string; key: string } | { in: 'query'; name: string } | { in: 'body'; name: string };

describeEachDialect(
  'the cross-tenant sweep',
  (ctx) => {
    let a: Practice;
    let b: Practice;
    let doc: OpenApi;

    const send = (method: Method, url: string, headers: Record<string, string>, payload?: unknown) =>
      ctx.app.inject({
        method,
        url,
        headers: { ...headers, ...(payload !== undefined ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}) },
        ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
      });
    const ok = (res: LightMyRequestResponse, status = 200) => {
      expect(res.statusCode, `${res.statusCode} ${res.body}`).toBe(status);
      return res.json();
    };

    beforeAll(async () => {
      a = await openPractice(ctx, 'A');
      b = await openPractice(ctx, 'B');
      // Midday: the first two sessions have started and are settled by hand, the third is under way.
      ctx.clock.set('2026-03-02T11:30:00.000Z');
      for (const p of [a, b]) {
        ok(await send('POST', `/api/v1/bookings/${p.ids.bookings.completed}/complete`, p.headers, {}));
        ok(await send('POST', `/api/v1/bookings/${p.ids.bookings.noShow}/no-show`, p.headers, {}));
      }
      await ctx.app.jobs.tick(); // fetches both imported calendars
      for (const p of [a, b]) {
        const detail = ok(await send('GET', `/api/v1/clients/${p.client.id}`, p.headers));
        p.ids.lots = detail.lots.map((l: { id: string }) => l.id);
        p.ids.purchases = detail.purchases.map((x: { id: string }) => x.id);
        p.ids.fees = detail.fees.map((f: { id: string }) => f.id);
        expect(detail.lots).toHaveLength(3); // bought, granted with a reason, sold by hand
        expect(detail.purchases.map((x: { provider: string }) => x.provider).sort()).toEqual(['dev', 'manual']);
        expect(detail.fees).toMatchObject([{ status: 'owed', amount: { amount: 2500 } }]);
        expect(detail.bookings.map((x: { status: string }) => x.status).sort()).toEqual(
          ['cancelled', 'completed', 'confirmed', 'confirmed', 'confirmed', 'late_cancelled', 'late_cancelled', 'no_show'],
        );
        const calendars = ok(await send('GET', '/api/v1/external-calendars', p.headers));
        expect(calendars.items).toMatchObject([{ id: p.ids.externalCalendar, lastError: null, busyCount: 1 }]);
      }
      doc = (await ctx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    });

    afterEach(() => expectInvariants(ctx));

    /** Everything A's practitioner and clients see, as bytes. */
    async function viewsOf(p: Practice): Promise<Record<string, string>> {
      const views: Record<string, string> = {};
      const reads: [string, string, Record<string, string>][] = [
        ['client detail', `/api/v1/clients/${p.client.id}`, p.headers],
        ['other client detail', `/api/v1/clients/${p.other.id}`, p.headers],
        ['clients', '/api/v1/clients', p.headers],
        ['bookings', '/api/v1/bookings', p.headers],
        ['fees', '/api/v1/fees', p.headers],
        ['services', '/api/v1/services', p.headers],
        ['packages', '/api/v1/packages', p.headers],
        ['tokens', '/api/v1/tokens', p.headers],
        ['external calendars', '/api/v1/external-calendars', p.headers],
        ['members', '/api/v1/members', p.headers],
        ['balances', '/api/v1/me', p.client.headers],
        ['client’s bookings', '/api/v1/me/bookings', p.client.headers],
        ['other client’s balances', '/api/v1/me', p.other.headers],
        ['feed', `/api/v1/calendar-feed/${p.feedToken}.ics`, {}],
      ];
      for (const [label, url, headers] of reads) {
        const res = await send('GET', url, headers);
        expect(res.statusCode, `${label}: ${res.body}`).toBe(200);
        views[label] = res.body;
      }
      return views;
    }

    /** What of A's must never reach B: every id in A's views (uuids) that is not on A's public page, A's names, slug and secrets. */
    async function secretsOf(p: Practice, of: 'practice' | 'first client'): Promise<string[]> {
      const views = await viewsOf(p);
      const shown = of === 'practice' ? Object.values(views).join('\n') : [views.balances, views['client’s bookings']].join('\n');
      const uuids = new Set(shown.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? []);
      if (of === 'first client') {
        // Another client of the same practice may see the practice's public page and its own lots and bookings.
        const visible = [(await send('GET', `/api/v1/public/${p.slug}`, {})).body, views['other client’s balances'], (await send('GET', '/api/v1/me/bookings', p.other.headers)).body].join('\n');
        for (const id of visible.match(/[0-9a-f-]{36}/g) ?? []) uuids.delete(id);
        return [...uuids, p.client.email, `Client One ${p.marker}`];
      }
      return [...uuids, p.marker, p.slug, p.tokenSecret, p.feedToken];
    }

    function expectNoLeak(res: LightMyRequestResponse, secrets: string[], sent: string, where: string): void {
      const leaked = secrets.filter((s) => res.body.includes(s) && !sent.includes(s));
      expect(leaked, `${where} answered with what belongs to A: ${res.body.slice(0, 500)}`).toEqual([]);
    }

    /** Every row of every table, as JSON: equal before and after means nothing was written. */
    async function dump(): Promise<Record<string, string[]>> {
      const tables = (await ctx.db.kysely.introspection.getTables()).map((t) => t.name).filter((name) => !name.startsWith('kysely_'));
      const rows: Record<string, string[]> = {};
      for (const table of tables.sort()) {
        rows[table] = (await ctx.db.kysely.selectFrom(table as 'practices').selectAll().execute()).map((r) => JSON.stringify(r)).sort();
      }
      return rows;
    }

    function callersFor(path: string): Caller[] {
      const everything = (p: Practice) => (slot: Slot) => foreignValues(p, slot);
      if (path === '/api/v1/me' || path.startsWith('/api/v1/me/')) {
        return [
          { label: 'B’s client', headers: b.client.headers, own: b, foreign: everything(a) },
          {
            label: 'A’s other client',
            headers: a.other.headers,
            own: { ...a, ids: { ...a.ids, bookings: { own: a.ids.otherBooking } } },
            // Only what belongs to A's first client: the practice's catalog is this caller's too.
            foreign: (slot) => (slot.in === 'path' && PATH_IDS[slot.key]!.scope === 'client' ? foreignValues(a, slot) : null),
          },
        ];
      }
      if (path.startsWith('/api/v1/public/')) return [{ label: 'a visitor of B’s booking page', headers: {}, own: b, foreign: everything(a) }];
      return [
        { label: 'B’s practitioner (cookie)', headers: b.headers, own: b, foreign: everything(a) },
        { label: 'B’s practitioner (API token)', headers: b.bearer, own: b, foreign: everything(a) },
      ];
    }

    it('answers every id-bearing route called by B with A’s ids exactly as for an id that does not exist, shows B nothing of A’s and changes nothing', async () => {
      const secrets = await secretsOf(a, 'practice');
      const firstClientSecrets = await secretsOf(a, 'first client');
      // B's token records when it was last used: use it once, at this (standing) time, before the snapshot.
      ok(await send('GET', '/api/v1/practice', b.bearer));
      const viewsBefore = await viewsOf(a);
      const ownViewsBefore = await viewsOf(b);
      const rowsBefore = await dump();

      const swept = new Set<string>();
      const notIdBearing: string[] = [];
      let calls = 0;
      for (const key of Object.keys(EXEMPT)) {
        const [method, path] = key.split(' ') as [string, string];
        expect(doc.paths[path]?.[method.toLowerCase()], `EXEMPT names ${key}, which the document no longer has`).toBeDefined();
      }

      for (const [path, operations] of Object.entries(doc.paths)) {
        for (const [lowerMethod, operation] of Object.entries(operations)) {
          const method = lowerMethod.toUpperCase() as Method;
          const route = `${method} ${path}`;
          if (route in EXEMPT) continue;
          const slots = slotsOf(route, path, operation);
          if (slots.length === 0) {
            notIdBearing.push(route);
            continue;
          }
          const variants = bodyVariants(operation);
          for (const caller of callersFor(path)) {
            for (const variant of variants) {
              for (const slot of slots) {
                if (slot.in === 'body' && !(variant && slot.name in (variant.properties ?? {}))) continue;
                const values = caller.foreign(slot);
                if (values === null) continue;
                const request = (value: string | string[]) => requestFor(path, operation, variant, caller, slot, value);
                const where = (value: unknown) => `${route} as ${caller.label} with ${slot.in} ${slot.name} = ${JSON.stringify(value)}`;

                const missing = request(slot.name.endsWith('Ids') ? [NO_SUCH_ID] : NO_SUCH_ID);
                const absent = await send(method, missing.url, caller.headers, missing.body);
                expectRefusal(absent, slot, where(NO_SUCH_ID));
                for (const value of values) {
                  const { url, body } = request(value);
                  const res = await send(method, url, caller.headers, body);
                  calls += 1;
                  expectRefusal(res, slot, where(value));
                  expect(answer(res), `${where(value)}: not the answer for an id that does not exist`).toEqual(answer(absent));
                  expectNoLeak(res, caller.own === b ? secrets : firstClientSecrets, url + JSON.stringify(body ?? ''), where(value));
                }
                swept.add(route);
              }
            }
          }
        }
      }

      // The sweep really walked the routes the review swept by hand (a document that lost its parameters would sweep nothing).
      for (const route of [
        'GET /api/v1/clients/{id}',
        'DELETE /api/v1/clients/{id}',
        'POST /api/v1/clients/{id}/grants',
        'POST /api/v1/clients/{id}/adjustments',
        'GET /api/v1/bookings',
        'POST /api/v1/bookings',
        'POST /api/v1/bookings/{id}/reschedule',
        'POST /api/v1/bookings/{id}/cancel',
        'POST /api/v1/bookings/{id}/no-show',
        'POST /api/v1/bookings/{id}/complete',
        'POST /api/v1/bookings/{id}/waive',
        'POST /api/v1/fees/{id}/paid',
        'POST /api/v1/fees/{id}/waive',
        'DELETE /api/v1/external-calendars/{id}',
        'DELETE /api/v1/tokens/{id}',
        'POST /api/v1/me/bookings/{id}/cancel',
        'POST /api/v1/me/bookings/{id}/reschedule',
        'GET /api/v1/me/purchases/{id}',
      ]) {
        expect(swept, `${route} was not swept`).toContain(route);
      }
      expect(notIdBearing).toContain('GET /api/v1/services');
      expect(calls).toBeGreaterThan(100);

      expect(await viewsOf(a)).toEqual(viewsBefore);
      expect(await viewsOf(b)).toEqual(ownViewsBefore);
      expect(await dump()).toEqual(rowsBefore);
    });

    it('shows B none of A’s data on any route B can read without naming an id', async () => {
      const secrets = await secretsOf(a, 'practice');
      const firstClientSecrets = await secretsOf(a, 'first client');
      let reads = 0;
      for (const [path, operations] of Object.entries(doc.paths)) {
        const operation = operations.get;
        if (!operation || `GET ${path}` in EXEMPT || slotsOf(`GET ${path}`, path, operation).length > 0) continue;
        for (const caller of callersFor(path)) {
          const url = path.replace('{slug}', caller.own.slug);
          const res = await send('GET', url, caller.headers);
          expect(res.statusCode, `GET ${url} as ${caller.label}: ${res.body}`).toBeLessThan(300);
          expectNoLeak(res, caller.own === b ? secrets : firstClientSecrets, url, `GET ${url} as ${caller.label}`);
          reads += 1;
        }
      }
      // B's own calendar feed, the one capability URL: B's sessions only.
      const feed = await send('GET', `/api/v1/calendar-feed/${b.feedToken}.ics`, {});
      expect(feed.statusCode).toBe(200);
      expect(feed.body).toContain(b.marker);
      expectNoLeak(feed, secrets, '', 'B’s calendar feed');
      expect(reads).toBeGreaterThan(10);
    });

    it('refuses B’s client cancelling, rescheduling or previewing A’s upcoming booking with 404 not_found, and A’s booking stands', async () => {
      const booking = a.ids.bookings.upcoming!;
      const before = ok(await send('GET', '/api/v1/me/bookings', a.client.headers)).items.find((x: { id: string }) => x.id === booking);
      expect(before).toMatchObject({ status: 'confirmed', start: '2026-03-10T09:00:00.000Z' });
      const attempts: [Method, string, object?][] = [
        ['GET', `/api/v1/me/bookings/${booking}/cancellation`],
        ['POST', `/api/v1/me/bookings/${booking}/cancel`, {}],
        ['POST', `/api/v1/me/bookings/${booking}/reschedule`, { start: '2026-03-13T10:00:00.000Z' }],
      ];
      for (const [method, url, payload] of attempts) {
        const res = await send(method, url, b.client.headers, payload);
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
        expect(res.json().code).toBe('not_found');
      }
      const after = ok(await send('GET', '/api/v1/me/bookings', a.client.headers)).items.find((x: { id: string }) => x.id === booking);
      expect(after).toEqual(before);
    });

    it('does not sign anyone in at B’s booking page with a code mailed from A’s', async () => {
      ok(await send('POST', `/api/v1/public/${a.slug}/auth/code`, {}, { email: a.client.email }), 202);
      const code = /code: (\d{6})/.exec((await latestMail(ctx, a.client.email))!.subject)![1]!;
      const atB = await send('POST', `/api/v1/public/${b.slug}/auth/verify`, {}, { email: a.client.email, code });
      expect(atB.statusCode, atB.body).toBe(401);
      expect(atB.json().code).toBe('unauthenticated');
      expect(atB.headers['set-cookie']).toBeUndefined();
      // The code still works where it was asked for.
      expect(ok(await send('POST', `/api/v1/public/${a.slug}/auth/verify`, {}, { email: a.client.email, code })).client.id).toBe(a.client.id);
    });

    /** How `slot` is filled by `value` and every other id by the caller's own. */
    function requestFor(path: string, operation: Operation, variant: JsonSchema | null, caller: Caller, slot: Slot, value: string | string[]) {
      const own = caller.own;
      let url = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        const key = pathKey(path, name);
        if (key === 'public/{slug}') return own.slug;
        if (slot.in === 'path' && slot.name === name) return String(value);
        return PATH_IDS[key]!.of(own)[0]!;
      });
      const query = new URLSearchParams();
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'query') continue;
        if (slot.in === 'query' && slot.name === parameter.name) query.set(parameter.name, String(value));
        else if (parameter.required) query.set(parameter.name, requiredQueryValue(parameter.name));
      }
      if ([...query].length > 0) url += `?${query}`;
      if (!variant) return { url, body: operation.requestBody ? {} : undefined };
      const body: Record<string, unknown> = {};
      for (const [name] of Object.entries(variant.properties ?? {})) {
        if (namesAnId(name)) body[name] = slot.in === 'body' && slot.name === name ? value : BODY_IDS[name]!(own)[0];
        else if (variant.required?.includes(name)) body[name] = BODY_VALUES[name];
      }
      return { url, body };
    }

    function foreignValues(p: Practice, slot: Slot): (string | string[])[] {
      if (slot.in === 'path') return PATH_IDS[slot.key]!.of(p);
      if (slot.in === 'query') return QUERY_IDS[slot.name]!(p);
      return BODY_IDS[slot.name]!(p);
    }

    /** The id-bearing parts of an operation; unknown ones fail loudly. */
    function slotsOf(route: string, path: string, operation: Operation): Slot[] {
      const slots: Slot[] = [];
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'path') {
          const key = pathKey(path, parameter.name);
          if (key === 'public/{slug}') continue; // the caller's own booking page
          if (!(key in PATH_IDS)) throw new Error(`${route}: the sweep has no ids for the path parameter "${key}"; add A’s objects of that kind to PATH_IDS`);
          slots.push({ in: 'path', name: parameter.name, key });
        } else if (parameter.in === 'query' && !NOT_IDS_IN_QUERY.has(parameter.name)) {
          if (!(parameter.name in QUERY_IDS)) throw new Error(`${route}: the sweep does not know the query parameter "${parameter.name}"; add it to QUERY_IDS (it names something) or NOT_IDS_IN_QUERY`);
          slots.push({ in: 'query', name: parameter.name });
        }
      }
      const fields = new Set(bodyVariants(operation).flatMap((v) => Object.keys(v?.properties ?? {})));
      for (const name of fields) {
        if (!namesAnId(name)) continue;
        if (!(name in BODY_IDS)) throw new Error(`${route}: the sweep has no ids for the body field "${name}"; add A’s objects of that kind to BODY_IDS`);
        slots.push({ in: 'body', name });
      }
      for (const variant of bodyVariants(operation)) {
        for (const name of variant?.required ?? []) {
          if (!namesAnId(name) && !(name in BODY_VALUES) && slots.length > 0) throw new Error(`${route}: no value for the required body field "${name}"; add one to BODY_VALUES`);
        }
      }
      return slots;
    }

    function bodyVariants(operation: Operation): (JsonSchema | null)[] {
      const content = operation.requestBody?.content;
      if (!content) return [null];
      const schema = resolve((content['application/json'] ?? Object.values(content)[0])!.schema);
      return schema.anyOf ? schema.anyOf.map(resolve) : [schema];
    }

    function resolve(schema: JsonSchema): JsonSchema {
      if (!schema.$ref) return schema;
      const parts = schema.$ref.replace(/^#\//, '').split('/');
      return parts.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], doc) as JsonSchema;
    }
  },
  { config: { allowPrivateUrls: true, rateLimitIpPerMin: 100_000 } },
);

/** `segment/{param}`: the path segment before a parameter names what the id is of. */
function pathKey(path: string, name: string): string {
  const segments = path.split('/');
  const at = segments.findIndex((s) => s.includes(`{${name}}`));
  return `${segments[at - 1]}/${segments[at]}`;
}

function requiredQueryValue(name: string): string {
  const values: Record<string, string> = { from: '2026-03-09', to: '2026-03-13' };
  if (!(name in values)) throw new Error(`no value for the required query parameter "${name}"`);
  return values[name]!;
}

/** A refusal that tells nothing: 404 not_found for a path id, an empty list for a list filter, 404 or a 400 naming the field for a body id. */
function expectRefusal(res: LightMyRequestResponse, slot: Slot, where: string): void {
  const body = res.json();
  if (slot.in === 'query') {
    expect(res.statusCode, `${where}: ${res.body}`).toBe(200);
    expect(body.items, where).toEqual([]);
    return;
  }
  if (slot.in === 'body' && res.statusCode === 400) {
    expect(body.code, where).toBe('validation_failed');
    expect(body.errors.map((e: { path: string }) => e.path), where).toEqual([expect.stringMatching(new RegExp(`^/${slot.name}(/|$)`))]);
  } else {
    expect(res.statusCode, `${where}: ${res.body}`).toBe(404);
    expect(body.code, where).toBe('not_found');
  }
  expect(res.headers['content-type'], where).toContain('application/problem+json');
}

/** What a caller learns from an answer. */
function answer(res: LightMyRequestResponse) {
  const body = res.json();
  return { status: res.statusCode, code: body.code, errors: body.errors, items: body.items };
}

/** A practice with something of every kind, reached through the API at Monday 08:00 (the first half of its day). */
async function openPractice(ctx: TestContext, label: 'A' | 'B'): Promise<Practice> {
  const marker = unique(`${label.toLowerCase()}mark`);
  const setup = await setUpPractice(ctx, {
    practice: { name: `Dana ${marker}`, practiceName: `Practice ${marker}` },
    service: { name: `Session ${marker}` },
    pkg: { name: `Pack ${marker}` },
  });
  const headers = setup.practitioner.headers;
  const slug = setup.practitioner.practice.slug;
  const call = async (method: Method, url: string, who: Record<string, string>, payload?: object, status = 200) => {
    const res = await ctx.app.inject({ method, url: `/api/v1${url}`, headers: who, ...(payload ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json();
  };
  const feeService = await call('POST', '/services', headers, { name: `Fee session ${marker}`, durationMinutes: 60, policy: { lateCancel: 'fee', lateCancelFee: { amount: 2500, currency: 'USD' } } }, 201);
  const client = await signInClient(ctx, slug, `${marker}-one@example.com`, `Client One ${marker}`);
  const other = await signInClient(ctx, slug, `${marker}-two@example.com`, `Client Two ${marker}`);

  await call('POST', '/me/purchases', client.headers, { packageId: setup.pkg.id }, 201);
  await call('POST', `/clients/${client.id}/grants`, headers, { credits: 3, validityDays: 30, reason: `goodwill ${marker}` }, 201);
  await call('POST', `/clients/${client.id}/grants`, headers, { packageId: setup.pkg.id, payment: 'manual' }, 201);
  await call('POST', `/clients/${other.id}/grants`, headers, { credits: 2, reason: `trial ${marker}` }, 201);

  const book = async (start: string, serviceId: string = setup.service.id) => (await call('POST', '/me/bookings', client.headers, { serviceId, start }, 201)).booking.id as string;
  const bookings = {
    completed: await book('2026-03-02T09:00:00.000Z'),
    noShow: await book('2026-03-02T10:00:00.000Z'),
    inProgress: await book('2026-03-02T11:00:00.000Z'),
    lateCancelled: await book('2026-03-02T13:00:00.000Z'),
    lateCancelledWithFee: await book('2026-03-02T14:00:00.000Z', feeService.id),
    upcoming: await book('2026-03-10T09:00:00.000Z'),
    cancelledInTime: await book('2026-03-11T09:00:00.000Z'),
    bookedByPractitioner: (await call('POST', '/bookings', headers, { clientId: client.id, serviceId: setup.service.id, start: '2026-03-12T09:00:00.000Z' }, 201)).booking.id as string,
  };
  const otherBooking = (await call('POST', '/me/bookings', other.headers, { serviceId: setup.service.id, start: '2026-03-10T10:00:00.000Z' }, 201)).booking.id as string;
  expect((await call('POST', `/me/bookings/${bookings.lateCancelled}/cancel`, client.headers, {})).outcome.outcome).toBe('forfeit');
  expect((await call('POST', `/me/bookings/${bookings.lateCancelledWithFee}/cancel`, client.headers, {})).outcome.outcome).toBe('fee');
  expect((await call('POST', `/me/bookings/${bookings.cancelledInTime}/cancel`, client.headers, {})).outcome.outcome).toBe('release');

  const token = await call('POST', '/tokens', headers, { name: `script ${marker}` }, 201);
  const feed = await call('POST', '/calendar-feed', headers, undefined, 201);
  ics.routes.set(`/${marker}.ics`, { body: icsFile(['BEGIN:VEVENT', `UID:${marker}@elsewhere`, 'DTSTAMP:20260101T000000Z', 'DTSTART:20260304T090000Z', 'DTEND:20260304T100000Z', 'END:VEVENT'].join('\r\n')) });
  const external = await call('POST', '/external-calendars', headers, { url: `${ics.origin}/${marker}.ics` }, 201);
  // A second owner (the last one cannot be demoted or removed) and an invited assistant.
  const partner = await call('POST', '/members', headers, { email: `${marker}-partner@example.com`, name: `Partner ${marker}`, role: 'owner' }, 201);
  const assistant = await call('POST', '/members', headers, { email: `${marker}-desk@example.com`, name: `Desk ${marker}`, role: 'assistant' }, 201);

  return {
    id: setup.practitioner.practice.id,
    marker,
    slug,
    headers,
    bearer: { authorization: `Bearer ${token.token}` },
    tokenSecret: token.token,
    feedToken: /calendar-feed\/(.+)\.ics$/.exec(feed.url)![1]!,
    client,
    other,
    ids: {
      services: [setup.service.id, feeService.id],
      packages: [setup.pkg.id],
      lots: [],
      purchases: [],
      bookings,
      otherBooking,
      fees: [],
      token: token.id,
      externalCalendar: external.id,
      members: [partner.id, assistant.id],
    },
  };
}
