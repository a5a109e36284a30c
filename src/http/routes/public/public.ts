import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requestLoginCode, verifyLoginCode } from '../../../app/client-sign-in.js';
import { clientWithCredits } from '../../../app/client-with-credits.js';
import { listServiceSlots } from '../../../app/list-service-slots.js';
import { publicPage } from '../../../app/public-page.js';
import { iso } from '../../../domain/instants.js';
import type { Slot } from '../../../domain/slots.js';
import type { AppDeps } from '../../../deps.js';
import { Client, Package, Policy, Service } from '../../objects.js';
import { notModified, numericEtag, sendNotModified, sendSerialised } from '../../responses.js';
import { CLIENT_COOKIE, setSessionCookie } from '../../plugins/auth.js';
import { endSession } from '../../../app/sessions.js';
import { Body, Email, Id, LocalDate, Name, problemResponses } from '../../schemas.js';

/** The tag of a listing: its zone and every slot's numbers, hashed before anything is formatted. */
function slotsEtag(timeZone: string, slots: Slot[]): string {
  const numbers = new Float64Array(slots.length * 3);
  slots.forEach((s, i) => {
    numbers[i * 3] = s.start;
    numbers[i * 3 + 1] = s.end;
    numbers[i * 3 + 2] = s.remaining;
  });
  return numericEtag(timeZone, numbers);
}

/**
 * The 200 body, exactly as the route's schema serialises it, written by hand because a 60-day
 * listing has 3,300 slots: ISO instants and integers never need escaping, so this takes less than half
 * of the schema serialiser's time (a test compares the two).
 */
export function slotsJson(timeZone: string, slots: Slot[]): string {
  // Appending to one string is three times faster here than mapping to templates and joining them.
  let json = `{"timeZone":${JSON.stringify(timeZone)},"slots":[`;
  slots.forEach((s, i) => {
    json += (i === 0 ? '{"start":"' : ',{"start":"') + iso(s.start) + '","end":"' + iso(s.end) + '","remaining":' + s.remaining + '}';
  });
  return json + ']}';
}

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
    async (request) => publicPage(deps.db, request.params.slug),
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
          304: Type.Null({ description: 'Not modified: the ETag named in If-None-Match still describes these slots' }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const { slug, serviceId } = request.params;
      const { timeZone, slots } = await listServiceSlots(deps.db, { slug, serviceId, ...request.query }, deps.clock.now());
      if (notModified(request, reply, slotsEtag(timeZone, slots))) return sendNotModified(reply);
      return sendSerialised(reply, slotsJson(timeZone, slots));
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
      return { client: await clientWithCredits(deps.db, client, now), token: secret };
    },
  );
};
