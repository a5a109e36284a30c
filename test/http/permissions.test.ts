import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { latestMail, sessionCookie, signUpPractitioner, unique, type Practitioner } from '../support/api.js';
import { describeEachDialect } from '../support/app.js';
import { icsFile, startIcsServer } from '../support/ics-server.js';
import { expectInvariants, setUpPractice, signInClient, type SignedInClient } from '../support/scenario.js';

/**
 * Authorization by role, route by route: every operation of the OpenAPI document is called by
 * practice A's owner, practitioner and assistant, A's client, practice B's owner and an anonymous
 * caller, each with a valid request (validation comes before authentication), and must answer:
 *
 * | caller | practitioner route | client route (/me) | open route |
 * | --- | --- | --- | --- |
 * | A's member whose role the route allows | allowed | 403 | allowed |
 * | A's member whose role it does not | 403 `forbidden` | 403 | allowed |
 * | A's client | 403 | allowed | allowed |
 * | B's owner | 404 (or a 400 naming the field) when the request names A's things, else allowed in B | 403 | allowed |
 * | anonymous | 401 `unauthenticated` | 401 | allowed |
 *
 * "Allowed" means authorization let it through: not 401, 403 or 404, and never 5xx (a 409 or 402
 * of the business rules is fine). The expected roles are this file's own table, not the code's:
 * a route in the document missing from ROUTES (a new route) fails until its access is decided here.
 */

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Role = 'owner' | 'practitioner' | 'assistant';
type CallerName = Role | 'client' | 'other owner' | 'anonymous';
type Access = 'open' | 'client' | readonly Role[];

const O = ['owner'] as const;
const OP = ['owner', 'practitioner'] as const;
const OPA = ['owner', 'practitioner', 'assistant'] as const;

interface Request {
  url: string;
  body?: unknown;
  query?: Record<string, string>;
}

interface Route {
  access: Access;
  /** A valid request for this caller; objects it names are fresh, so each allowed caller acts on its own. */
  request(f: Fixtures, who: CallerName): Promise<Request> | Request;
  /** The route signs in (or out): the caller uses a fresh session of its own, so its main one survives. */
  freshSession?: true;
}

const ROUTES: Record<string, Route> = {
  'GET /healthz': { access: 'open', request: () => ({ url: '/healthz' }) },
  'GET /api/v1/dev/outbox': { access: 'open', request: () => ({ url: '/api/v1/dev/outbox' }) },
  'POST /api/v1/signup': {
    access: 'open',
    request: () => {
      const slug = unique('perm-');
      return { url: '/api/v1/signup', body: { email: `${slug}@example.com`, password: 'correct horse battery', name: 'New Owner', practiceName: 'New Practice', slug, timeZone: 'Europe/London' } };
    },
  },
  'POST /api/v1/auth/login': { access: 'open', freshSession: true, request: (f) => ({ url: '/api/v1/auth/login', body: { email: f.spare.email, password: f.spare.password } }) },
  'POST /api/v1/auth/password-reset': { access: 'open', request: (f) => ({ url: '/api/v1/auth/password-reset', body: { email: f.spare.email } }) },
  'POST /api/v1/auth/password-reset/confirm': {
    access: 'open',
    request: async (f) => ({ url: '/api/v1/auth/password-reset/confirm', body: { token: await f.resetToken(), password: f.spare.password } }),
  },
  'POST /api/v1/auth/invitation/accept': {
    access: 'open',
    freshSession: true,
    request: async (f) => ({ url: '/api/v1/auth/invitation/accept', body: { token: (await f.invite()).token, password: 'a fresh member password' } }),
  },
  'GET /api/v1/auth/session': { access: OPA, request: () => ({ url: '/api/v1/auth/session' }) },
  'POST /api/v1/auth/logout': { access: OPA, freshSession: true, request: () => ({ url: '/api/v1/auth/logout' }) },
  'POST /api/v1/auth/switch': { access: OPA, request: (f) => ({ url: '/api/v1/auth/switch', body: { practiceId: f.practiceId } }) },
  'POST /api/v1/tokens': { access: OPA, request: () => ({ url: '/api/v1/tokens', body: { name: 'script' } }) },
  'GET /api/v1/tokens': { access: OPA, request: () => ({ url: '/api/v1/tokens' }) },
  'DELETE /api/v1/tokens/{id}': { access: OPA, request: async (f, who) => ({ url: `/api/v1/tokens/${await f.token(who)}` }) },

  'GET /api/v1/practice': { access: OPA, request: () => ({ url: '/api/v1/practice' }) },
  'PATCH /api/v1/practice': { access: O, request: () => ({ url: '/api/v1/practice', body: { name: 'Practice A' } }) },
  'GET /api/v1/services': { access: OPA, request: () => ({ url: '/api/v1/services' }) },
  'POST /api/v1/services': { access: O, request: () => ({ url: '/api/v1/services', body: { name: 'Another', durationMinutes: 30 } }) },
  'GET /api/v1/services/{id}': { access: OPA, request: (f) => ({ url: `/api/v1/services/${f.serviceId}` }) },
  'PATCH /api/v1/services/{id}': { access: O, request: async (f) => ({ url: `/api/v1/services/${await f.service()}`, body: { name: 'Renamed' } }) },
  'DELETE /api/v1/services/{id}': { access: O, request: async (f) => ({ url: `/api/v1/services/${await f.service()}` }) },
  'GET /api/v1/availability': { access: OPA, request: () => ({ url: '/api/v1/availability' }) },
  'PUT /api/v1/availability': { access: O, request: () => ({ url: '/api/v1/availability', body: WEEKDAYS }) },
  'GET /api/v1/packages': { access: OPA, request: () => ({ url: '/api/v1/packages' }) },
  'POST /api/v1/packages': { access: O, request: () => ({ url: '/api/v1/packages', body: { name: 'Ten', credits: 10, price: { amount: 70000, currency: 'USD' } } }) },
  'GET /api/v1/packages/{id}': { access: OPA, request: (f) => ({ url: `/api/v1/packages/${f.packageId}` }) },
  'PATCH /api/v1/packages/{id}': { access: O, request: (f) => ({ url: `/api/v1/packages/${f.packageId}`, body: { name: '5 sessions' } }) },

  'GET /api/v1/members': { access: OPA, request: () => ({ url: '/api/v1/members' }) },
  'POST /api/v1/members': { access: O, request: () => ({ url: '/api/v1/members', body: { email: `${unique('inv')}@example.com`, name: 'Invited', role: 'assistant' } }) },
  'POST /api/v1/members/{id}/invitation': { access: O, request: async (f) => ({ url: `/api/v1/members/${(await f.invite()).id}/invitation` }) },
  'PATCH /api/v1/members/{id}': { access: O, request: async (f) => ({ url: `/api/v1/members/${(await f.invite()).id}`, body: { name: 'Renamed', role: 'practitioner' } }) },
  'DELETE /api/v1/members/{id}': { access: O, request: async (f) => ({ url: `/api/v1/members/${(await f.invite()).id}` }) },

  'GET /api/v1/clients': { access: OPA, request: () => ({ url: '/api/v1/clients', query: { q: 'client' } }) },
  'POST /api/v1/clients': { access: OPA, request: () => ({ url: '/api/v1/clients', body: { email: `${unique('new')}@example.com`, name: 'New Client' } }) },
  'GET /api/v1/clients/{id}': { access: OPA, request: (f) => ({ url: `/api/v1/clients/${f.regular}` }) },
  'DELETE /api/v1/clients/{id}': { access: O, request: async (f) => ({ url: `/api/v1/clients/${await f.client(0)}` }) },
  'POST /api/v1/clients/{id}/grants': { access: OP, request: (f) => ({ url: `/api/v1/clients/${f.regular}/grants`, body: { credits: 1, reason: 'goodwill' } }) },
  'POST /api/v1/clients/{id}/adjustments': { access: OP, request: async (f) => ({ url: `/api/v1/clients/${f.regular}/adjustments`, body: { lotId: await f.lot(), amount: -1, reason: 'correction' } }) },

  'GET /api/v1/bookings': { access: OPA, request: () => ({ url: '/api/v1/bookings', query: { status: 'confirmed' } }) },
  'POST /api/v1/bookings': { access: OPA, request: (f) => ({ url: '/api/v1/bookings', body: { clientId: f.regular, serviceId: f.serviceId, start: f.nextSlot() } }) },
  'POST /api/v1/bookings/{id}/reschedule': { access: OPA, request: async (f) => ({ url: `/api/v1/bookings/${await f.booking(f.regular)}/reschedule`, body: { start: f.nextSlot() } }) },
  'POST /api/v1/bookings/{id}/cancel': { access: OPA, request: async (f) => ({ url: `/api/v1/bookings/${await f.booking(f.regular)}/cancel`, body: { reason: 'ill' } }) },
  'POST /api/v1/bookings/{id}/no-show': { access: OPA, request: async (f) => ({ url: `/api/v1/bookings/${await f.booking(f.regular)}/no-show`, body: {} }) },
  'POST /api/v1/bookings/{id}/complete': { access: OPA, request: async (f) => ({ url: `/api/v1/bookings/${await f.booking(f.regular)}/complete`, body: {} }) },
  'POST /api/v1/bookings/{id}/waive': { access: OP, request: async (f) => ({ url: `/api/v1/bookings/${await f.booking(f.regular)}/waive`, body: { reason: 'kind' } }) },
  'GET /api/v1/fees': { access: OPA, request: () => ({ url: '/api/v1/fees', query: { status: 'owed' } }) },
  'POST /api/v1/fees/{id}/paid': { access: OPA, request: async (f) => ({ url: `/api/v1/fees/${await f.fee()}/paid`, body: {} }) },
  'POST /api/v1/fees/{id}/waive': { access: OP, request: async (f) => ({ url: `/api/v1/fees/${await f.fee()}/waive`, body: { reason: 'first time' } }) },

  'GET /api/v1/calendar-feed/{token}.ics': { access: 'open', request: async (f) => ({ url: `/api/v1/calendar-feed/${await f.feedToken()}.ics` }) },
  'POST /api/v1/calendar-feed': { access: O, request: () => ({ url: '/api/v1/calendar-feed' }) },
  'DELETE /api/v1/calendar-feed': { access: O, request: () => ({ url: '/api/v1/calendar-feed' }) },
  'GET /api/v1/external-calendars': { access: O, request: () => ({ url: '/api/v1/external-calendars' }) },
  'POST /api/v1/external-calendars': { access: O, request: (f) => ({ url: '/api/v1/external-calendars', body: { url: f.icsUrl } }) },
  'DELETE /api/v1/external-calendars/{id}': { access: O, request: async (f) => ({ url: `/api/v1/external-calendars/${await f.externalCalendar()}` }) },

  'GET /api/v1/practice/payments': { access: O, request: () => ({ url: '/api/v1/practice/payments' }) },
  'GET /api/v1/purchases/{id}/refund': { access: O, request: async (f) => ({ url: `/api/v1/purchases/${await f.purchase()}/refund` }) },
  'POST /api/v1/purchases/{id}/refund': { access: O, request: async (f) => ({ url: `/api/v1/purchases/${await f.purchase()}/refund`, body: {} }) },

  'GET /api/v1/public/{slug}': { access: 'open', request: (f) => ({ url: `/api/v1/public/${f.slug}` }) },
  'GET /api/v1/public/{slug}/services/{serviceId}/slots': {
    access: 'open',
    request: (f) => ({ url: `/api/v1/public/${f.slug}/services/${f.serviceId}/slots`, query: { from: '2026-03-03', to: '2026-03-05' } }),
  },
  'POST /api/v1/public/{slug}/auth/code': { access: 'open', request: (f) => ({ url: `/api/v1/public/${f.slug}/auth/code`, body: { email: `${unique('code')}@example.com` } }) },
  'POST /api/v1/public/{slug}/auth/verify': { access: 'open', freshSession: true, request: async (f) => ({ url: `/api/v1/public/${f.slug}/auth/verify`, body: await f.signInCode() }) },

  'POST /api/v1/me/logout': { access: 'client', freshSession: true, request: () => ({ url: '/api/v1/me/logout' }) },
  'GET /api/v1/me': { access: 'client', request: () => ({ url: '/api/v1/me' }) },
  'GET /api/v1/me/bookings': { access: 'client', request: () => ({ url: '/api/v1/me/bookings' }) },
  'POST /api/v1/me/bookings': { access: 'client', request: (f) => ({ url: '/api/v1/me/bookings', body: { serviceId: f.serviceId, start: f.nextSlot() } }) },
  'GET /api/v1/me/bookings/{id}/cancellation': { access: 'client', request: async (f, who) => ({ url: `/api/v1/me/bookings/${await f.clientBooking(who)}/cancellation` }) },
  'POST /api/v1/me/bookings/{id}/cancel': { access: 'client', request: async (f, who) => ({ url: `/api/v1/me/bookings/${await f.clientBooking(who)}/cancel`, body: {} }) },
  'POST /api/v1/me/bookings/{id}/reschedule': { access: 'client', request: async (f, who) => ({ url: `/api/v1/me/bookings/${await f.clientBooking(who)}/reschedule`, body: { start: f.nextSlot() } }) },
  'POST /api/v1/me/purchases': { access: 'client', request: (f) => ({ url: '/api/v1/me/purchases', body: { packageId: f.packageId } }) },
  'GET /api/v1/me/purchases/{id}': { access: 'client', request: (f) => ({ url: `/api/v1/me/purchases/${f.clientPurchase}` }) },
  'POST /api/v1/me/fees/{id}/pay': { access: 'client', request: async (f, who) => ({ url: `/api/v1/me/fees/${who === 'client' ? await f.fee(f.signedIn.id) : 'not-reached'}/pay` }) },
};

const WEEKDAYS = { weekly: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })), overrides: [] };

interface Fixtures {
  practiceId: string;
  slug: string;
  serviceId: string;
  packageId: string;
  /** A client of A with plenty of credits, booked for by the practitioner routes. */
  regular: string;
  signedIn: SignedInClient;
  clientPurchase: string;
  icsUrl: string;
  /** Not a caller: an account whose password the open routes log in with and reset. */
  spare: Practitioner;
  /** A start of A's service nobody has booked yet. */
  nextSlot(): string;
  service(): Promise<string>;
  client(credits: number): Promise<string>;
  lot(): Promise<string>;
  booking(clientId: string): Promise<string>;
  clientBooking(who: CallerName): Promise<string>;
  fee(clientId?: string): Promise<string>;
  purchase(): Promise<string>;
  invite(): Promise<{ id: string; token: string }>;
  token(who: CallerName): Promise<string>;
  feedToken(): Promise<string>;
  externalCalendar(): Promise<string>;
  resetToken(): Promise<string>;
  signInCode(): Promise<{ email: string; code: string }>;
}

interface Caller {
  name: CallerName;
  headers: Record<string, string>;
  /** Another session of the same caller. */
  fresh(): Promise<Record<string, string>>;
}

const ics = await startIcsServer();
const BUSY = icsFile(['BEGIN:VEVENT', 'UID:busy@elsewhere', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260310T090000Z', 'DTEND:20260310T100000Z', 'END:VEVENT'].join('\r\n'));
afterAll(() => ics.close());

describeEachDialect(
  'authorization by role on every route',
  (ctx) => {
    let f: Fixtures;
    let callers: Caller[];
    const paths: Record<string, Record<string, unknown>> = {};

    const send = (method: Method, url: string, headers: Record<string, string>, payload?: unknown) =>
      ctx.app.inject({ method, url, headers: { ...headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
    const ok = async (res: Promise<LightMyRequestResponse>, status = 200) => {
      const answered = await res;
      expect(answered.statusCode, `${answered.statusCode} ${answered.body}`).toBe(status);
      return answered.statusCode === 204 ? null : answered.json();
    };

    beforeAll(async () => {
      const setup = await setUpPractice(ctx);
      const owner = setup.practitioner;
      const asOwner = (method: Method, url: string, payload?: unknown, status = 200) => ok(send(method, `/api/v1${url}`, owner.headers, payload), status);
      const login = async (email: string, password: string) =>
        ({ cookie: sessionCookie((await send('POST', '/api/v1/auth/login', {}, { email, password })).headers['set-cookie'], 'tb_session') });
      const mailedToken = async (email: string, pattern: RegExp) => decodeURIComponent(pattern.exec((await latestMail(ctx, email))!.text)![1]!);

      const invite = async (role: Role = 'assistant') => {
        const email = `${unique('member')}@example.com`;
        const member = await asOwner('POST', '/members', { email, name: `A ${role}`, role }, 201);
        return { id: member.id as string, email, token: await mailedToken(email, /invitation\?token=([\w%-]+)/) };
      };
      const join = async (role: Role) => {
        const { email, token } = await invite(role);
        await ok(send('POST', '/api/v1/auth/invitation/accept', {}, { token, password: 'member password 123' }));
        return { headers: await login(email, 'member password 123'), fresh: () => login(email, 'member password 123') };
      };

      const group = await asOwner('POST', '/services', { name: 'Class', durationMinutes: 60, capacity: 500, policy: { lateCancel: 'fee', lateCancelFee: { amount: 1500, currency: 'USD' } } }, 201);
      const client = async (credits: number) => {
        const created = await asOwner('POST', '/clients', { email: `${unique('c')}@example.com`, name: 'A Client' }, 201);
        if (credits > 0) await asOwner('POST', `/clients/${created.id}/grants`, { credits, reason: 'stock' }, 201);
        return created.id as string;
      };
      const signedIn = await signInClient(ctx, owner.practice.slug);
      await asOwner('POST', `/clients/${signedIn.id}/grants`, { credits: 100, reason: 'stock' }, 201);
      const clientPurchase = (await ok(send('POST', '/api/v1/me/purchases', signedIn.headers, { packageId: setup.pkg.id }), 201)).purchase.id as string;

      let slot = Date.parse('2026-03-03T09:00:00.000Z');
      const nextSlot = () => {
        for (;;) {
          const at = new Date(slot);
          slot += 60 * 60_000;
          if (at.getUTCDay() >= 1 && at.getUTCDay() <= 5 && at.getUTCHours() >= 9 && at.getUTCHours() < 17) return at.toISOString();
        }
      };
      const booking = async (clientId: string) => (await asOwner('POST', '/bookings', { clientId, serviceId: setup.service.id, start: nextSlot() }, 201)).booking.id as string;
      const spare = await signUpPractitioner(ctx);
      const practiceB = await signUpPractitioner(ctx);

      f = {
        practiceId: owner.practice.id,
        slug: owner.practice.slug,
        serviceId: setup.service.id,
        packageId: setup.pkg.id,
        regular: await client(1000),
        signedIn,
        clientPurchase,
        icsUrl: `${ics.origin}/busy.ics`,
        spare,
        nextSlot,
        service: async () => (await asOwner('POST', '/services', { name: 'Spare', durationMinutes: 45 }, 201)).id,
        client,
        lot: async () => (await asOwner('POST', `/clients/${f.regular}/grants`, { credits: 2, reason: 'to adjust' }, 201)).id,
        booking,
        clientBooking: async (who) => (who === 'client' ? booking(signedIn.id) : 'not-reached'),
        // A late cancellation under a fee policy: one fee owed.
        fee: async (clientId) => {
          const id = clientId ?? (await client(1));
          const booked = await asOwner('POST', '/bookings', { clientId: id, serviceId: group.id, start: clientId ? '2026-03-02T16:00:00.000Z' : '2026-03-02T15:00:00.000Z' }, 201);
          await asOwner('POST', `/bookings/${booked.booking.id}/cancel`, { applyPolicy: true });
          const fees = await asOwner('GET', `/clients/${id}`);
          return fees.fees.find((fee: { bookingId: string }) => fee.bookingId === booked.booking.id).id;
        },
        purchase: async () => {
          const id = await client(0);
          await asOwner('POST', `/clients/${id}/grants`, { packageId: setup.pkg.id, payment: 'manual' }, 201);
          return (await asOwner('GET', `/clients/${id}`)).purchases[0].id;
        },
        invite: () => invite(),
        token: async (who) => {
          const member = callers.find((c) => c.name === who && ['owner', 'practitioner', 'assistant'].includes(who));
          return (await ok(send('POST', '/api/v1/tokens', (member ?? callers[0]!).headers, { name: 'to revoke' }), 201)).id;
        },
        feedToken: async () => /calendar-feed\/(.+)\.ics$/.exec((await asOwner('POST', '/calendar-feed', undefined, 201)).url)![1]!,
        externalCalendar: async () => {
          const path = `/${unique('busy')}.ics`;
          ics.routes.set(path, { body: BUSY });
          return (await asOwner('POST', '/external-calendars', { url: `${ics.origin}${path}` }, 201)).id;
        },
        resetToken: async () => {
          await ok(send('POST', '/api/v1/auth/password-reset', {}, { email: spare.email }), 202);
          return mailedToken(spare.email, /reset-password\?token=([\w%-]+)/);
        },
        signInCode: async () => {
          await ok(send('POST', `/api/v1/public/${owner.practice.slug}/auth/code`, {}, { email: signedIn.email }), 202);
          return { email: signedIn.email, code: /code: (\d{6})/.exec((await latestMail(ctx, signedIn.email))!.subject)![1]! };
        },
      };
      ics.routes.set('/busy.ics', { body: BUSY });

      const practitioner = await join('practitioner');
      const assistant = await join('assistant');
      callers = [
        { name: 'owner', headers: owner.headers, fresh: () => login(owner.email, owner.password) },
        { name: 'practitioner', ...practitioner },
        { name: 'assistant', ...assistant },
        { name: 'client', headers: signedIn.headers, fresh: async () => (await signInClient(ctx, owner.practice.slug, signedIn.email)).headers },
        { name: 'other owner', headers: practiceB.headers, fresh: () => login(practiceB.email, practiceB.password) },
        { name: 'anonymous', headers: {}, fresh: async () => ({}) },
      ];
      Object.assign(paths, (await ctx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json().paths);
    });

    it('has decided the access of every route in the document, and of none that is not there', () => {
      const documented = Object.entries(paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
      expect(documented.filter((route) => !(route in ROUTES)), 'routes without a decided access: add them to ROUTES').toEqual([]);
      expect(Object.keys(ROUTES).filter((route) => !documented.includes(route)), 'ROUTES names routes the document does not have').toEqual([]);
    });

    it('documents the roles of each practitioner route in the OpenAPI document, as this table has them', () => {
      for (const [key, route] of Object.entries(ROUTES)) {
        if (route.access === 'open' || route.access === 'client') continue;
        const [method, path] = key.split(' ') as [Method, string];
        const description = (paths[path]?.[method.toLowerCase()] as { description?: string } | undefined)?.description ?? '';
        expect(/Roles: ([a-z, ]+) \(permission/.exec(description)?.[1]?.split(', '), key).toEqual([...route.access]);
        expect(description.split('Roles:'), `${key} names its roles once`).toHaveLength(2);
      }
    });

    it('answers each caller on each route as its role allows', async () => {
      const failures: string[] = [];
      let calls = 0;
      for (const [key, route] of Object.entries(ROUTES)) {
        const [method, path] = key.split(' ') as [Method, string];
        if (!paths[path]) continue; // reported by the test above
        // Refused callers first: an allowed caller's change must not be what makes a refusal pass.
        const ordered = [...callers].sort((a, b) => Number(allows(route.access, a.name)) - Number(allows(route.access, b.name)));
        for (const caller of ordered) {
          const request = await route.request(f, caller.name);
          const url = request.query ? `${request.url}?${new URLSearchParams(request.query)}` : request.url;
          const headers = route.freshSession ? await caller.fresh() : caller.headers;
          const res = await send(method, url, headers, request.body);
          calls += 1;
          const expected = expectation(route, caller.name, path, request);
          const problem = check(res, expected);
          if (problem) failures.push(`${key} as ${caller.name}: expected ${expected}, got ${res.statusCode} ${res.body.slice(0, 200)}${problem === true ? '' : ` (${problem})`}`);
        }
      }
      expect(failures).toEqual([]);
      expect(calls).toBeGreaterThan(6 * 60);
      await expectInvariants(ctx);
    });

    it('checks an API token with the role of its member too', async () => {
      const assistant = callers.find((c) => c.name === 'assistant')!;
      const token = (await ok(send('POST', '/api/v1/tokens', assistant.headers, { name: 'desk script' }), 201)).token as string;
      const bearer = { authorization: `Bearer ${token}` };
      await ok(send('GET', '/api/v1/clients', bearer));
      const refused = await send('PATCH', '/api/v1/practice', bearer, { name: 'Taken over' });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'forbidden', type: '/problems/forbidden' });
      expect(refused.headers['content-type']).toContain('application/problem+json');
    });
  },
  { config: { allowPrivateUrls: true, rateLimitIpPerMin: 100_000, rateLimitAccountPer15Min: 10_000 } },
);

function allows(access: Access, who: CallerName): boolean {
  if (access === 'open') return true;
  if (access === 'client') return who === 'client';
  return (access as readonly string[]).includes(who) || who === 'other owner';
}

type Expected = 'allowed' | 401 | 403 | 'not found';

function expectation(route: Route, who: CallerName, path: string, request: Request): Expected {
  const access = route.access;
  if (access === 'open') return 'allowed';
  if (who === 'anonymous') return 401;
  if (access === 'client') return who === 'client' ? 'allowed' : 403;
  if (who === 'client') return 403;
  if (who === 'other owner') return namesPracticeThings(path, request) ? 'not found' : 'allowed';
  return (access as readonly string[]).includes(who) ? 'allowed' : 403;
}

/** A request naming something of practice A's: an id in the path or in the body. */
function namesPracticeThings(path: string, request: Request): boolean {
  const idInPath = path.includes('{');
  const idInBody = Object.keys((request.body ?? {}) as object).some((field) => /Id$/.test(field));
  return idInPath || idInBody;
}

/** null when the answer is what was expected; else true or a reason. */
function check(res: LightMyRequestResponse, expected: Expected): string | true | null {
  if (res.statusCode >= 500) return 'a 5xx is never right';
  if (expected === 'allowed') return [401, 403, 404].includes(res.statusCode) ? true : null;
  if (res.statusCode < 400) return true;
  const body = res.json();
  if (!String(res.headers['content-type']).includes('application/problem+json')) return 'not problem+json';
  if (expected === 'not found') {
    if (res.statusCode === 404 && body.code === 'not_found') return null;
    if (res.statusCode === 400 && body.code === 'validation_failed') return null;
    return true;
  }
  if (res.statusCode !== expected) return true;
  return body.code === (expected === 401 ? 'unauthenticated' : 'forbidden') ? null : `code ${body.code}`;
}

