import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { bookSession } from '../../../app/book-session.js';
import { bookingsPage } from '../../../app/list-bookings.js';
import { listFees } from '../../../app/list-fees.js';
import { clientOfPractice, resolveFee, waiveBooking } from '../../../app/practitioner-credits.js';
import { rescheduleBooking } from '../../../app/reschedule-booking.js';
import { serviceName } from '../../../app/service-name.js';
import { settleBooking } from '../../../app/settle-booking.js';
import { bookingView, feeView, ledgerEntryView } from '../../../app/views.js';
import type { AppDeps } from '../../../deps.js';
import { runIdempotent } from '../../idempotency.js';
import { Booking, BookingStatus, Cancellation, Credits, Fee, LedgerEntry } from '../../objects.js';
import { practitionerOf, practitionerScope } from '../../plugins/auth.js';
import { Body, Collection, Id, IdParams, Instant, Nullable, PageQuery, problemResponses } from '../../schemas.js';

const tags = ['bookings'];
const Reason = Type.String({ minLength: 1, maxLength: 1000 });
const Settled = Type.Object({ booking: Booking, outcome: Cancellation });

/** The practitioner's calendar: book for a client, move, cancel, settle, waive; fees owed. */
export const bookingRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  practitionerScope(app, deps);
  const actorOf = (userId: string) => ({ kind: 'practitioner' as const, id: userId });

  app.get(
    '/bookings',
    { config: { permission: 'calendar' },
      schema: {
        tags,
        summary: 'Bookings by start time; filter by instants and status',
        querystring: Type.Object({ ...PageQuery, from: Type.Optional(Instant), to: Type.Optional(Instant), status: Type.Optional(BookingStatus), clientId: Type.Optional(Id) }, { additionalProperties: false }),
        response: { 200: Collection(Booking), ...problemResponses },
      },
    },
    async (request) => {
      const { practiceId } = practitionerOf(request);
      const { limit, cursor, ...filter } = request.query;
      return bookingsPage(deps.db, { practiceId, ...filter, now: deps.clock.now() }, { limit, cursor });
    },
  );

  app.post(
    '/bookings',
    { config: { permission: 'calendar' },
      schema: {
        tags,
        summary: 'Book for a client; their credits are applied as for the client',
        body: Body({ clientId: Id, serviceId: Id, start: Instant }),
        response: { 201: Type.Object({ booking: Booking, credits: Credits }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = practitionerOf(request);
      const now = deps.clock.now();
      await runIdempotent(deps, request, reply, async (trx) => {
        await clientOfPractice(trx, caller.practiceId, request.body.clientId);
        const { booking, service, credits } = await bookSession(deps.db, trx, { practiceId: caller.practiceId, clientId: request.body.clientId, serviceId: request.body.serviceId, start: new Date(request.body.start), actor: actorOf(caller.userId), mail: deps.config }, now);
        return { status: 201, body: { booking: bookingView(booking, service.name), credits } };
      }, () => deps.mail.kick());
    },
  );

  app.post(
    '/bookings/:id/reschedule',
    { config: { permission: 'calendar' }, schema: { tags, summary: 'Move a booking to another offered slot', params: IdParams, body: Body({ start: Instant }), response: { 200: Type.Object({ booking: Booking }), ...problemResponses } } },
    async (request, reply) => {
      const caller = practitionerOf(request);
      const now = deps.clock.now();
      await runIdempotent(deps, request, reply, async (trx) => {
        const { booking, service } = await rescheduleBooking(deps.db, trx, { practiceId: caller.practiceId, bookingId: request.params.id }, new Date(request.body.start), actorOf(caller.userId), now, deps.config);
        return { status: 200, body: { booking: bookingView(booking, service.name) } };
      }, () => deps.mail.kick());
    },
  );

  const settleRoute = (path: string, summary: string, kind: 'cancel' | 'no_show' | 'complete') =>
    app.post(
      path,
      {
        config: { permission: 'calendar' },
        schema: {
          tags,
          summary,
          params: IdParams,
          body: Type.Optional(Body({ reason: Type.Optional(Type.String({ maxLength: 1000 })), ...(kind === 'cancel' ? { applyPolicy: Type.Optional(Type.Boolean()) } : {}) })),
          response: { 200: Settled, ...problemResponses },
        },
      },
      async (request, reply) => {
        const caller = practitionerOf(request);
        const now = deps.clock.now();
        const body = (request.body ?? {}) as { reason?: string; applyPolicy?: boolean };
        const settlement = kind === 'cancel' ? { kind, actor: 'practitioner' as const, applyPolicy: body.applyPolicy } : { kind };
        await runIdempotent(deps, request, reply, async (trx) => {
          const { booking, outcome } = await settleBooking(deps.db, trx, { practiceId: caller.practiceId, bookingId: request.params.id }, settlement, actorOf(caller.userId), body.reason ?? null, now, deps.config);
          return { status: 200, body: { booking: bookingView(booking, await serviceName(trx, booking.service_id)), outcome } };
        }, () => deps.mail.kick());
      },
    );
  settleRoute('/bookings/:id/cancel', 'Cancel; releases the credits unless applyPolicy is true', 'cancel');
  settleRoute('/bookings/:id/no-show', 'Mark a no-show (after the start); the policy decides the credits', 'no_show');
  settleRoute('/bookings/:id/complete', 'Mark the session as attended (after the start); consumes the credits', 'complete');

  app.post(
    '/bookings/:id/waive',
    { config: { permission: 'credits' },
      schema: {
        tags,
        summary: 'Waive a forfeited credit (restored) or an owed fee (voided)',
        params: IdParams,
        body: Body({ reason: Reason }),
        response: { 200: Type.Object({ booking: Booking, entry: Nullable(LedgerEntry), fee: Type.Optional(Fee) }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = practitionerOf(request);
      await runIdempotent(deps, request, reply, async (trx) => {
        const result = await waiveBooking(deps.db, trx, { practiceId: caller.practiceId, bookingId: request.params.id }, request.body.reason, actorOf(caller.userId), deps.clock.now());
        const body = {
          booking: bookingView(result.booking, await serviceName(trx, result.booking.service_id)),
          entry: result.entry ? ledgerEntryView(result.entry) : null,
          ...('fee' in result && result.fee ? { fee: feeView(result.fee) } : {}),
        };
        return { status: 200, body };
      });
    },
  );

  app.get(
    '/fees',
    { config: { permission: 'fees' },
      schema: {
        tags,
        summary: 'Fees owed, paid or waived',
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(Type.Union([Type.Literal('owed'), Type.Literal('paid'), Type.Literal('waived')])) }, { additionalProperties: false }),
        response: { 200: Collection(Fee), ...problemResponses },
      },
    },
    async (request) => {
      const { practiceId } = practitionerOf(request);
      const { status, ...page } = request.query;
      const fees = await listFees(deps.db, practiceId, { status }, page);
      return { items: fees.items.map(feeView), nextCursor: fees.nextCursor };
    },
  );

  for (const status of ['paid', 'waived'] as const) {
    app.post(
      `/fees/:id/${status === 'paid' ? 'paid' : 'waive'}`,
      // Recording money taken at the desk is front-desk work; forgiving it is giving credit.
      { config: { permission: status === 'paid' ? 'fees' : 'credits' }, schema: { tags, summary: status === 'paid' ? 'Mark a fee paid' : 'Waive a fee', params: IdParams, body: Type.Optional(Body({ reason: Type.Optional(Reason) })), response: { 200: Fee, ...problemResponses } } },
      async (request) => {
        const { practiceId } = practitionerOf(request);
        const fee = await resolveFee(deps.db, practiceId, request.params.id, status, request.body?.reason ?? null, deps.clock.now());
        return feeView(fee);
      },
    );
  }
};
