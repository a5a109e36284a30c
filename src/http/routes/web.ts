import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../build-app.js';

/** The web app (React SPA built by Vite into web/dist), served by the same server. */
export const webRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async () => {};
