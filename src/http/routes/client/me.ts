import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { bookSession } from '../../../app/book-session.js';
import { purchasePackage } from '../../../app/purchases.js';
import { checkoutUrl, type CheckoutOf } from '../../../app/checkout-url.js';
import { clientPurchase } from '../../../app/client-purchase.js';
import { meSummary } from '../../../app/me-summary.js';
import { serviceName } from '../../../app/service-name.js';
import { startFeePayment } from '../../../app/pay-fee.js';
import { rescheduleBooking } from '../../../app/reschedule-booking.js';
import { endSession } from '../../../app/sessions.js';
import { previewCancellation, settleBooking } from '../../../app/settle-booking.js';
import { bookingView, purchaseView } from '../../../app/views.js';
import type { AppDeps } from '../../../deps.js';
import { runIdempotent } from '../../idempotency.js';
import { Booking, Cancellation, Client, Credits, Fee, Lot, Purchase } from '../../objects.js';
import { CLIENT_COOKIE, clearSessionCookie, clientOf, requireCaller, sessionSecretsOf } from '../../plugins/auth.js';
import { Body, Collection, Id, IdParams, Instant, PageQuery, problemResponses } from '../../schemas.js';
import { bookingsPage } from '../../../app/list-bookings.js';

const tags = ['client'];

/** The signed-in client: balance, bookings, cancellations, purchases. */
export const meRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.addHook('preHandler', requireCaller('client', deps));
  const actorOf = (clientId: string) => ({ kind: 'client' as const, id: clientId });
  /** The Checkout URL of what was just bought or booked, opening the Checkout if need be; null without Stripe. */
  const checkoutUrlFor = async (of: CheckoutOf): Promise<string | null> =>
    deps.payments?.name === 'stripe' ? checkoutUrl(deps.db, deps.payments.gateway, of, deps.clock.now()) : null;

  app.post('/me/logout', { schema: { tags, summary: 'End the client session', response: { 204: Type.Null(), ...problemResponses } } }, async (request, reply) => {
    for (const secret of sessionSecretsOf(request, CLIENT_COOKIE)) await endSession(deps.db, secret);
    clearSessionCookie(reply, CLIENT_COOKIE, deps.config);
    return reply.code(204).send(null);
  });

  app.get(
    '/me',
    {
      schema: {
        tags,
        summary: 'The client, their credits by lot, what they cover now, and fees owed',
        response: {
          200: Type.Object({ client: Client, credits: Credits, lots: Type.Array(Lot), coverage: Type.Array(Type.Object({ serviceId: Type.String(), available: Type.Integer() })), fees: Type.Array(Fee) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const caller = clientOf(request);
      return meSummary(deps.db, caller.practiceId, caller.clientId, deps.clock.now());
    },
  );

  app.get(
    '/me/bookings',
    {
      schema: { tags, summary: 'The client’s bookings, upcoming first', querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: Collection(Booking), ...problemResponses } },
    },
    async (request) => {
      const caller = clientOf(request);
      return bookingsPage(deps.db, { practiceId: caller.practiceId, clientId: caller.clientId, upcomingFirst: true, now: deps.clock.now() }, request.query);
    },
  );

  app.post(
    '/me/bookings',
    {
      schema: {
        tags,
        summary: 'Book a slot; credits are applied automatically, or `payment: "single"` pays the service’s price for this session alone (with Stripe: `pending_payment` until paid, the slot held 30 minutes)',
        body: Body({ serviceId: Id, start: Instant, payment: Type.Optional(Type.Union([Type.Literal('credits'), Type.Literal('single')])) }),
        response: { 201: Type.Object({ booking: Booking, credits: Credits, checkoutUrl: Type.Optional(Type.Union([Type.String(), Type.Null()])) }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = clientOf(request);
      const now = deps.clock.now();
      const settle = !deps.payments ? null : deps.payments.paysAtOnce ? ('now' as const) : ('checkout' as const);
      await runIdempotent(
        deps,
        request,
        reply,
        async (trx) => {
          const { booking, service, credits } = await bookSession(deps.db, trx, { practiceId: caller.practiceId, clientId: caller.clientId, serviceId: request.body.serviceId, start: new Date(request.body.start), actor: actorOf(caller.clientId), mail: deps.config, ...(request.body.payment === 'single' ? { single: { settle } } : {}) }, now);
          return { status: 201, body: { booking: bookingView(booking, service.name), credits } };
        },
        () => deps.mail.kick(),
        // A single session paid through Stripe: its Checkout is opened once the booking has committed (`checkoutUrl` only then).
        async (outcome) => {
          const body = outcome.body as { booking: { id: string; status: string } };
          if (body.booking.status !== 'pending_payment') return outcome;
          return { status: outcome.status, body: { ...body, checkoutUrl: await checkoutUrlFor({ bookingId: body.booking.id }) } };
        },
      );
    },
  );

  app.get(
    '/me/bookings/:id/cancellation',
    { schema: { tags, summary: 'What cancelling now would do', params: IdParams, response: { 200: Cancellation, ...problemResponses } } },
    async (request) => {
      const caller = clientOf(request);
      return previewCancellation(deps.db, { practiceId: caller.practiceId, bookingId: request.params.id, clientId: caller.clientId }, 'client', deps.clock.now());
    },
  );

  app.post(
    '/me/bookings/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel under the policy',
        params: IdParams,
        body: Type.Optional(Body({ reason: Type.Optional(Type.String({ maxLength: 1000 })) })),
        response: { 200: Type.Object({ booking: Booking, outcome: Cancellation }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = clientOf(request);
      const now = deps.clock.now();
      await runIdempotent(deps, request, reply, async (trx) => {
        const scope = { practiceId: caller.practiceId, bookingId: request.params.id, clientId: caller.clientId };
        const { booking, outcome } = await settleBooking(deps.db, trx, scope, { kind: 'cancel', actor: 'client' }, actorOf(caller.clientId), request.body?.reason ?? null, now, deps.config);
        return { status: 200, body: { booking: bookingView(booking, await serviceName(trx, booking.service_id)), outcome } };
      }, () => deps.mail.kick());
    },
  );

  app.post(
    '/me/bookings/:id/reschedule',
    {
      schema: { tags, summary: 'Move a booking to another offered slot', params: IdParams, body: Body({ start: Instant }), response: { 200: Type.Object({ booking: Booking }), ...problemResponses } },
    },
    async (request, reply) => {
      const caller = clientOf(request);
      const now = deps.clock.now();
      await runIdempotent(deps, request, reply, async (trx) => {
        const scope = { practiceId: caller.practiceId, bookingId: request.params.id, clientId: caller.clientId };
        const { booking, service } = await rescheduleBooking(deps.db, trx, scope, new Date(request.body.start), actorOf(caller.clientId), now, deps.config);
        return { status: 200, body: { booking: bookingView(booking, service.name) } };
      }, () => deps.mail.kick());
    },
  );

  app.post(
    '/me/purchases',
    {
      schema: {
        tags,
        summary: 'Buy a package',
        body: Body({ packageId: Id }),
        response: { 201: Type.Object({ purchase: Purchase, checkoutUrl: Type.Union([Type.String(), Type.Null()]) }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = clientOf(request);
      await runIdempotent(
        deps,
        request,
        reply,
        async (trx) => {
          const { purchase } = await purchasePackage(trx, deps.payments, { practiceId: caller.practiceId, clientId: caller.clientId }, request.body.packageId, deps.clock.now(), deps.config);
          return { status: 201, body: { purchase: purchaseView(purchase), checkoutUrl: null } };
        },
        () => deps.mail.kick(),
        // With Stripe: the Checkout is opened once the purchase has committed (and again on a replay, by its idempotency key).
        async (outcome) => {
          const body = outcome.body as { purchase: { id: string }; checkoutUrl: string | null };
          return { status: outcome.status, body: { ...body, checkoutUrl: await checkoutUrlFor({ purchaseId: body.purchase.id }) } };
        },
      );
    },
  );

  app.post(
    '/me/fees/:id/pay',
    {
      schema: {
        tags,
        summary: 'Pay a fee owed (a late cancellation, a no-show): a Checkout with Stripe; the fee is paid when Stripe confirms',
        params: IdParams,
        response: { 201: Type.Object({ checkoutUrl: Type.Union([Type.String(), Type.Null()]) }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = clientOf(request);
      const now = deps.clock.now();
      await runIdempotent(
        deps,
        request,
        reply,
        async (trx) => {
          await startFeePayment(trx, deps.payments, { practiceId: caller.practiceId, clientId: caller.clientId }, request.params.id, deps.config, now);
          return { status: 201, body: { checkoutUrl: null } };
        },
        undefined,
        async (outcome) => {
          if (deps.payments?.name !== 'stripe') return outcome;
          return { status: outcome.status, body: { checkoutUrl: await checkoutUrl(deps.db, deps.payments.gateway, { feeId: request.params.id, clientId: caller.clientId }, now) } };
        },
      );
    },
  );

  app.get('/me/purchases/:id', { schema: { tags, summary: 'One of the client’s purchases', params: IdParams, response: { 200: Purchase, ...problemResponses } } }, async (request) => {
    const caller = clientOf(request);
    return clientPurchase(deps.db, caller.practiceId, caller.clientId, request.params.id);
  });
};
