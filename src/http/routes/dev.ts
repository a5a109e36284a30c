import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps.js';
import { Email, PAGE_LIMIT_MAX, problemResponses } from '../schemas.js';
import { sendProblem } from '../plugins/problem-details.js';

/**
 * With dev tools on (Config.devTools): the mail the product sent or kept, sign-in codes and reset
 * links included, so it can be tried without an SMTP server. Unless asked for by NODE_ENV, never
 * through a proxy: a forwarded request is answered as if the route did not exist.
 */
export const devRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.addHook('onRequest', async (request, reply) => {
    const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
    if (forwarded && deps.config.devTools !== 'explicit') {
      return sendProblem(reply, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
    }
  });
  app.get(
    '/dev/outbox',
    {
      schema: {
        tags: ['dev'],
        summary: 'Mail kept or sent (dev tools only)',
        querystring: Type.Object({ to: Type.Optional(Email), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_LIMIT_MAX })) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ to: Type.String(), subject: Type.String(), text: Type.String(), createdAt: Type.String() })) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      let query = deps.db.kysely.selectFrom('mail_outbox').select(['to_address', 'subject', 'text', 'created_at']);
      if (request.query.to) query = query.where('to_address', '=', request.query.to.trim().toLowerCase());
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(request.query.limit ?? 50).execute();
      return { items: rows.map((r) => ({ to: r.to_address, subject: r.subject, text: r.text, createdAt: r.created_at })) };
    },
  );
};
