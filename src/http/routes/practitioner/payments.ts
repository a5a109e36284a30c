import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { paymentSettings } from '../../../app/payment-settings.js';
import type { AppDeps } from '../../build-app.js';
import { practitionerOf, requireCaller } from '../../plugins/auth.js';
import { Nullable, problemResponses } from '../../schemas.js';

const tags = ['payments'];

/** How the practice is paid, and refunds. */
export const paymentRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.addHook('preHandler', requireCaller('practitioner', deps));

  app.get(
    '/practice/payments',
    {
      schema: {
        tags,
        summary: 'The payment provider, the Stripe Connect account and whether it can take charges',
        response: {
          200: Type.Object({
            provider: Type.Union([Type.Literal('stripe'), Type.Literal('dev'), Type.Literal('manual')]),
            stripeAccountId: Nullable(Type.String()),
            chargesEnabled: Nullable(Type.Boolean()),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => paymentSettings(deps.db, deps.payments, practitionerOf(request).practiceId),
  );
};
