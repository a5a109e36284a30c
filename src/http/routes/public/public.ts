import { Type } from 'typebox';
import { DateTime } from 'luxon';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { activeService, slotQueryFor } from '../../../app/calendar.js';
import { practiceBySlug, requestLoginCode, verifyLoginCode } from '../../../app/client-sign-in.js';
import { balanceOf } from '../../../app/balances.js';
import { clientView, packageView, practiceView, serviceView } from '../../../app/views.js';
import { iso } from '../../../domain/instants.js';
import { listSlots, SLOT_QUERY_DAYS_MAX } from '../../../domain/slots.js';
import type { AppDeps } from '../../../deps.js';
import { Client, Package, Policy, Service } from '../../objects.js';
import { CLIENT_COOKIE, setSessionCookie } from '../../plugins/auth.js';
import { endSession } from '../../../app/sessions.js';
import { Body, Email, Id, LocalDate, Name, problemResponses } from '../../schemas.js';
import { validation } from '../../../app/field-errors.js';

const SlugParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false });
const tags = ['public'];

/** The booking page's data and the client's passwordless sign-in: open to anyone. */
export const publicRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const limits = { accountPer15Min: deps.config.rateLimitAccountPer15Min, ipPerMin: deps.config.rateLimitIpPerMin };

  app.get(
    '/public/:slug',
    {
      schema: {
        tags,
        summary: 'A practice’s booking page: its active services and packages',
        params: SlugParams,
        response: {
          200: Type.Object({
            practice: Type.Object({ name: Type.String(), slug: Type.String(), timeZone: Type.String(), currency: Type.String(), policy: Policy }),
            services: Type.Array(Service),
            packages: Type.Array(Package),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const practice = await practiceBySlug(deps.db, request.params.slug);
      const [services, packages] = await Promise.all([
        deps.db.kysely.selectFrom('services').selectAll().where('practice_id', '=', practice.id).where('active', '=', 1).orderBy('created_at').execute(),
        deps.db.kysely.selectFrom('packages').selectAll().where('practice_id', '=', practice.id).where('active', '=', 1).orderBy('created_at').execute(),
      ]);
      const { name, slug, timeZone, currency, policy } = practiceView(practice);
      return {
        practice: { name, slug, timeZone, currency, policy },
        services: services.map((s) => serviceView(s, practice)),
        packages: packages.map((p) => packageView(p, practice)),
      };
    },
  );

  app.get(
    '/public/:slug/services/:serviceId/slots',
    {
      schema: {
        tags,
        summary: 'Bookable slots of a service between two local dates (inclusive, at most 62 days)',
        params: Type.Object({ slug: SlugParams.properties.slug, serviceId: Id }, { additionalProperties: false }),
        querystring: Type.Object({ from: LocalDate, to: LocalDate }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            timeZone: Type.String(),
            slots: Type.Array(Type.Object({ start: Type.String(), end: Type.String(), remaining: Type.Integer() })),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const from = DateTime.fromISO(request.query.from);
      const to = DateTime.fromISO(request.query.to);
      if (!from.isValid) throw validation('querystring:/from', 'is not a calendar date');
      if (!to.isValid) throw validation('querystring:/to', 'is not a calendar date');
      if (to < from) throw validation('querystring:/to', 'is before from');
      if (to.diff(from, 'days').days + 1 > SLOT_QUERY_DAYS_MAX) throw validation('querystring:/to', `is more than ${SLOT_QUERY_DAYS_MAX} days after from`);
      const practice = await practiceBySlug(deps.db, request.params.slug);
      const service = await activeService(deps.db.kysely, practice.id, request.params.serviceId);
      const fromMs = DateTime.fromISO(request.query.from, { zone: practice.time_zone }).startOf('day').toMillis();
      const toMs = DateTime.fromISO(request.query.to, { zone: practice.time_zone }).endOf('day').toMillis();
      const query = await slotQueryFor(deps.db.kysely, practice, service, { fromMs, toMs }, deps.clock.now());
      const slots = listSlots({ ...query, fromDate: request.query.from, toDate: request.query.to });
      return { timeZone: practice.time_zone, slots: slots.map((s) => ({ start: iso(s.start), end: iso(s.end), remaining: s.remaining })) };
    },
  );

  app.post(
    '/public/:slug/auth/code',
    {
      schema: {
        tags,
        summary: 'Mail a six-digit sign-in code to a client',
        params: SlugParams,
        body: Body({ email: Email, name: Type.Optional(Name) }),
        response: { 202: Type.Object({ status: Type.Literal('sent') }), ...problemResponses },
      },
    },
    async (request, reply) => {
      await requestLoginCode(deps.db, { slug: request.params.slug, ...request.body, ip: request.ip }, limits, deps.clock.now());
      deps.mail.kick();
      return reply.code(202).send({ status: 'sent' as const });
    },
  );

  app.post(
    '/public/:slug/auth/verify',
    {
      schema: {
        tags,
        summary: 'Exchange a sign-in code for a client session',
        params: SlugParams,
        body: Body({ email: Email, code: Type.String({ pattern: '^\\d{6}$' }) }),
        response: { 200: Type.Object({ client: Client, token: Type.String() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const now = deps.clock.now();
      const { client, secret } = await verifyLoginCode(deps.db, { slug: request.params.slug, ...request.body, ip: request.ip }, limits, now);
      // The cookie this sign-in replaces ends too: a session id known before sign-in is never live after it.
      const previous = request.cookies[CLIENT_COOKIE];
      if (previous) await endSession(deps.db, previous);
      setSessionCookie(reply, CLIENT_COOKIE, secret, deps.config);
      const { credits } = await balanceOf(deps.db.kysely, client.practice_id, client.id, now);
      return { client: clientView(client, credits), token: secret };
    },
  );
};
