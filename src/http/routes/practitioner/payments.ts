import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { paymentSettings } from '../../../app/payment-settings.js';
import { finishPurchaseRefund, purchaseRefund } from '../../../app/purchase-refund.js';
import { refundPreview } from '../../../app/refund-preview.js';
import { startPurchaseRefund } from '../../../app/refunds.js';
import { CREDITS_MAX } from '../../../domain/ledger.js';
import type { AppDeps } from '../../../deps.js';
import { runIdempotent } from '../../idempotency.js';
import { Purchase } from '../../objects.js';
import { practitionerOf, practitionerScope } from '../../plugins/auth.js';
import { Body, IdParams, Money, Nullable, problemResponses } from '../../schemas.js';

const tags = ['payments'];
const RefundCredits = Type.Integer({ minimum: 1, maximum: CREDITS_MAX });
const Refund = Type.Object({
  id: Type.String(),
  amount: Money,
  credits: Type.Integer(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  origin: Type.Union([Type.Literal('practitioner'), Type.Literal('dashboard'), Type.Literal('automatic')]),
  createdAt: Type.String(),
});
const BookingToCancel = Type.Object({ id: Type.String(), start: Type.String(), credits: Type.Integer() });

/** How the practice is paid, and refunds. */
export const paymentRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  practitionerScope(app, deps);
  const actorOf = (userId: string) => ({ kind: 'practitioner' as const, id: userId });

  app.get(
    '/practice/payments',
    { config: { permission: 'payments' },
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

  app.get(
    '/purchases/:id/refund',
    { config: { permission: 'payments' },
      schema: {
        tags,
        summary: 'What refunding would do: the pro-rata amount, and the upcoming bookings it would need cancelled',
        params: IdParams,
        querystring: Type.Object({ credits: Type.Optional(RefundCredits) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ purchase: Purchase, refund: Type.Object({ amount: Money, credits: Type.Integer() }), refundableCredits: Type.Integer(), bookingsToCancel: Type.Array(BookingToCancel) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { practiceId } = practitionerOf(request);
      return refundPreview(deps.db, { practiceId, purchaseId: request.params.id }, { credits: request.query.credits }, deps.clock.now());
    },
  );

  app.post(
    '/purchases/:id/refund',
    { config: { permission: 'payments' },
      schema: {
        tags,
        summary: 'Refund a package in full or pro rata (price × credits ÷ package credits, rounded down); the unused credits are revoked',
        params: IdParams,
        body: Type.Optional(Body({ credits: Type.Optional(RefundCredits), cancelBookings: Type.Optional(Type.Boolean()) })),
        response: { 200: Type.Object({ purchase: Purchase, refund: Refund }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = practitionerOf(request);
      const now = deps.clock.now();
      await runIdempotent(
        deps,
        request,
        reply,
        async (trx) => {
          const refund = await startPurchaseRefund(deps.db, trx, { practiceId: caller.practiceId, purchaseId: request.params.id }, request.body ?? {}, actorOf(caller.userId), now);
          return { status: 200, body: await purchaseRefund(trx, refund.id) };
        },
        () => deps.mail.kick(),
        // The money moves after commit: Stripe is asked (keyed on the refund), again on a replay while pending.
        async (outcome) => {
          const { refund } = outcome.body as { refund: { id: string } };
          const body = await finishPurchaseRefund(deps.db, deps.payments?.name === 'stripe' ? deps.payments.gateway : null, refund.id, now);
          deps.mail.kick();
          return { status: outcome.status, body };
        },
      );
    },
  );
};
