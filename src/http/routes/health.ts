import { sql } from 'kysely';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../build-app.js';
import { problemResponses } from '../schemas.js';

export const healthRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness and database check',
        response: { 200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      try {
        await sql`select 1`.execute(deps.db.kysely);
      } catch (error) {
        request.log.error({ err: error }, 'database check failed');
        return reply.code(503).type('application/problem+json').send({ type: 'about:blank', title: 'Database unavailable', status: 503 });
      }
      return { status: 'ok' as const, database: deps.db.dialect };
    },
  );
};
