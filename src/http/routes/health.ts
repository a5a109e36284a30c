import { sql } from 'kysely';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps.js';
import { problemResponses } from '../schemas.js';
import { jobHealth, type JobHealth } from '../../jobs/queue.js';

export const healthRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness, database and background-job check',
        description:
          '`degraded` (still 200: the process serves) when a recurring sweep (completion, expiry, calendar refresh…) has failed several times in a row, or one-off jobs gave up.',
        response: {
          200: Type.Object({
            status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
            database: Type.String(),
            jobs: Type.Object({
              failingSweeps: Type.Array(Type.Object({ kind: Type.String(), consecutiveFailures: Type.Integer(), lastError: Type.Union([Type.String(), Type.Null()]) })),
              failedJobs: Type.Integer(),
            }),
          }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      let jobs: JobHealth;
      try {
        await sql`select 1`.execute(deps.db.kysely);
        jobs = await jobHealth(deps.db);
      } catch (error) {
        request.log.error({ err: error }, 'database check failed');
        return reply.code(503).type('application/problem+json').send({ type: 'about:blank', title: 'Database unavailable', status: 503 });
      }
      const degraded = jobs.failingSweeps.length > 0 || jobs.failedJobs > 0;
      return { status: degraded ? ('degraded' as const) : ('ok' as const), database: deps.db.dialect, jobs };
    },
  );
};
