import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getAvailability, setAvailability } from '../../../app/set-availability.js';
import type { AppDeps } from '../../../deps.js';
import { Availability } from '../../objects.js';
import { practitionerOf } from '../../plugins/auth.js';
import { problemResponses } from '../../schemas.js';

const tags = ['availability'];

/** The practice's weekly hours and date overrides. */
export const availabilityRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/availability',
    { config: { permission: 'practice.read' }, schema: { tags, summary: 'Weekly hours and date overrides', response: { 200: Availability, ...problemResponses } } },
    async (request) => getAvailability(deps.db, practitionerOf(request)),
  );

  app.put(
    '/availability',
    { config: { permission: 'settings' },
      schema: {
        tags,
        summary: 'Replace the weekly hours and the date overrides',
        body: Availability,
        response: { 200: Availability, ...problemResponses },
      },
    },
    async (request) => setAvailability(deps.db, practitionerOf(request), request.body),
  );
};
