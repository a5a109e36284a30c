import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { handleStripeEvent } from '../../app/stripe-events.js';
import { processRefund } from '../../app/refunds.js';
import { DomainError } from '../../domain/errors.js';
import { WebhookSignatureError, type StripeGateway } from '../../payments/stripe.js';
import type { AppDeps } from '../../deps.js';
import { problemResponses } from '../schemas.js';

/**
 * Stripe's signed events. Its own encapsulated scope: here alone JSON bodies stay raw bytes, since
 * the signature is over exactly the bytes Stripe sent. Registered only when Stripe is configured.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps; gateway: StripeGateway }> = async (app, { deps, gateway }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/webhooks/stripe',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Stripe events, verified by their Stripe-Signature (tolerance 300 s); any type not acted on is answered 200 and ignored',
        headers: Type.Object({ 'stripe-signature': Type.String({ minLength: 1, maxLength: 4000 }) }),
        response: {
          200: Type.Object({ received: Type.Literal(true), outcome: Type.Union([Type.Literal('processed'), Type.Literal('duplicate'), Type.Literal('ignored')]) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const now = deps.clock.now();
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let event;
      try {
        event = gateway.verifyEvent(raw, request.headers['stripe-signature'], now.getTime());
      } catch (error) {
        if (!(error instanceof WebhookSignatureError)) throw error;
        throw new DomainError('validation_failed', `the event's signature does not verify: ${error.message}`, { errors: [{ path: 'header:Stripe-Signature', message: 'does not match the body, or is older than 300 s' }] });
      }
      const result = await handleStripeEvent({ db: deps.db, gateway, settings: deps.config }, event, now);
      deps.mail.kick();
      // Refunds the event decided (a payment nothing could take any more): made now, else by their job.
      for (const id of result.refundIds) {
        await processRefund(deps.db, gateway, id, now).catch((error: unknown) => request.log.warn({ err: error, refundId: id }, 'refund not made yet; its job retries'));
      }
      if (result.refundIds.length > 0) deps.mail.kick();
      request.log.info({ eventId: event.id, type: event.type, outcome: result.outcome }, 'stripe event');
      return { received: true as const, outcome: result.outcome };
    },
  );
};
