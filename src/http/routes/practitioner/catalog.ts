import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../build-app.js';
import { requireCaller } from '../../plugins/auth.js';

/** Practice settings, services, availability and packages (filled in by the catalog work). */
export const catalogRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.addHook('preHandler', requireCaller('practitioner', deps));
};
