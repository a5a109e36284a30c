import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { feedUrl, renderFeed, revokeFeed, rotateFeed } from '../../app/calendar-feed.js';
import { addExternalCalendar, externalCalendarView, listExternalCalendars, removeExternalCalendar, URL_LENGTH_MAX } from '../../app/external-calendars.js';
import { DomainError } from '../../domain/errors.js';
import type { AppDeps } from '../../deps.js';
import { runIdempotent } from '../idempotency.js';
import { practitionerOf, practitionerScope } from '../plugins/auth.js';
import { Body, Collection, IdParams, Nullable, problemResponses } from '../schemas.js';

const tags = ['calendars'];

const ExternalCalendar = Type.Object({
  id: Type.String(),
  url: Type.String(),
  createdAt: Type.String(),
  lastFetchedAt: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
  busyCount: Type.Integer(),
});

/** Public: the secret URL is the credential, so calendar apps can subscribe without signing in. */
const feedRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (open, { deps }) => {
  open.get(
    '/calendar-feed/:token.ics',
    {
      schema: {
        tags,
        summary: 'The practice’s upcoming sessions as iCalendar (the secret feed URL)',
        params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: {
          200: { description: 'The feed (iCalendar)', content: { 'text/calendar': { schema: Type.String() } } },
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const ics = await renderFeed(deps.db, request.params.token, deps.clock.now());
      if (ics === null) throw new DomainError('not_found', 'no such calendar feed');
      return reply.type('text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300').send(ics);
    },
  );
};

/** The practitioner's feed URL and imported calendars. */
const practitionerRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (practitioner, { deps }) => {
  practitionerScope(practitioner, deps);

  practitioner.post(
    '/calendar-feed',
    { config: { permission: 'settings' },
      schema: {
        tags,
        summary: 'Create the secret calendar feed URL, or replace it (the old URL stops working)',
       
        response: { 201: Type.Object({ url: Type.String(), createdAt: Type.String() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { token, createdAt } = await rotateFeed(deps.db, practitionerOf(request).practiceId, deps.clock.now());
      return reply.code(201).send({ url: feedUrl(deps.config.publicUrl, token), createdAt });
    },
  );

  practitioner.delete(
    '/calendar-feed',
    { config: { permission: 'settings' }, schema: { tags, summary: 'Revoke the calendar feed URL', response: { 204: Type.Null(), ...problemResponses } } },
    async (request, reply) => {
      await revokeFeed(deps.db, practitionerOf(request).practiceId);
      return reply.code(204).send(null);
    },
  );

  practitioner.get(
    '/external-calendars',
    { config: { permission: 'settings' }, schema: { tags, summary: 'Imported calendars whose events block slots', response: { 200: Collection(ExternalCalendar), ...problemResponses } } },
    async (request) => ({ items: (await listExternalCalendars(deps.db, practitionerOf(request).practiceId)).map(externalCalendarView), nextCursor: null }),
  );

  practitioner.post(
    '/external-calendars',
    { config: { permission: 'settings' },
      schema: {
        tags,
        summary: 'Import another calendar by its ICS URL; its events block slots (fetched now, then every 15 minutes)',
        body: Body({ url: Type.String({ minLength: 1, maxLength: URL_LENGTH_MAX }) }),
        response: { 201: ExternalCalendar, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { practiceId } = practitionerOf(request);
      await runIdempotent(deps, request, reply, async (trx) => {
        const row = await addExternalCalendar(trx, practiceId, request.body.url, deps.config, deps.clock.now());
        return { status: 201, body: externalCalendarView(row) };
      });
    },
  );

  practitioner.delete(
    '/external-calendars/:id',
    { config: { permission: 'settings' }, schema: { tags, summary: 'Stop importing a calendar; its events stop blocking slots', params: IdParams, response: { 204: Type.Null(), ...problemResponses } } },
    async (request, reply) => {
      await removeExternalCalendar(deps.db, practitionerOf(request).practiceId, request.params.id);
      return reply.code(204).send(null);
    },
  );
};

/** Calendar feeds (secret ICS URLs) and imported busy calendars. */
export const calendarRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  await app.register(feedRoutes, { deps });
  await app.register(practitionerRoutes, { deps });
};
