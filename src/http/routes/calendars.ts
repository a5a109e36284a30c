import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../build-app.js';

/** Calendar feeds (secret ICS URLs) and imported busy calendars (filled in by the calendars work). */
export const calendarRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async () => {};
