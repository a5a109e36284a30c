import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../../deps.js';
import { practitionerScope } from '../../plugins/auth.js';
import { availabilityRoutes } from './availability.js';
import { packageRoutes } from './packages.js';
import { practiceRoutes } from './practice.js';
import { serviceRoutes } from './services.js';

/** Practice settings, services, availability and packages: the signed-in practitioner's own only. */
export const catalogRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  practitionerScope(app, deps);
  await app.register(practiceRoutes, { deps });
  await app.register(serviceRoutes, { deps });
  await app.register(availabilityRoutes, { deps });
  await app.register(packageRoutes, { deps });
};
