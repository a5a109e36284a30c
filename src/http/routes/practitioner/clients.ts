import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { clientLots, lotAsOf, NO_CREDITS } from '../../../app/balances.js';
import { listClients, createClient } from '../../../app/clients.js';
import { eraseClient } from '../../../app/erase-client.js';
import { adjustLot, grantCredits } from '../../../app/practitioner-credits.js';
import { clientDetail } from '../../../app/client-detail.js';
import { clientWithCredits } from '../../../app/client-with-credits.js';
import { clientView, ledgerEntryView, lotView } from '../../../app/views.js';
import { CREDITS_MAX } from '../../../domain/ledger.js';
import { VALIDITY_DAYS_MAX } from '../../../domain/lots.js';
import type { AppDeps } from '../../../deps.js';
import { runIdempotent } from '../../idempotency.js';
import { BookingWithReason, Client, Fee, LedgerEntry, Lot, Purchase } from '../../objects.js';
import { practitionerOf, practitionerScope } from '../../plugins/auth.js';
import { Body, Collection, Email, Id, IdParams, Name, Nullable, PageQuery, problemResponses } from '../../schemas.js';

const tags = ['clients'];
const Reason = Type.String({ minLength: 1, maxLength: 1000 });

const ClientSummary = Type.Object({
  ...Client.properties,
  nextSession: Nullable(Type.String()),
  lastSession: Nullable(Type.String()),
  expiringSoon: Nullable(Type.Object({ credits: Type.Integer(), expiresAt: Type.String() })),
});

/** The practitioner's clients: balances, history, grants and adjustments. */
export const clientRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  practitionerScope(app, deps);
  const actorOf = (userId: string) => ({ kind: 'practitioner' as const, id: userId });

  app.get(
    '/clients',
    { config: { permission: 'clients' },
      schema: {
        tags,
        summary: 'Clients with their credits (search with q)',
        querystring: Type.Object({ ...PageQuery, q: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
        response: { 200: Collection(ClientSummary), ...problemResponses },
      },
    },
    async (request) => listClients(deps.db, practitionerOf(request).practiceId, request.query, deps.clock.now()),
  );

  app.post(
    '/clients',
    { config: { permission: 'clients' }, schema: { tags, summary: 'Add a client', body: Body({ email: Email, name: Name }), response: { 201: Client, ...problemResponses } } },
    async (request, reply) => {
      const client = await createClient(deps.db, practitionerOf(request).practiceId, request.body, deps.clock.now());
      return reply.code(201).send(clientView(client, NO_CREDITS));
    },
  );

  app.get(
    '/clients/:id',
    { config: { permission: 'clients' },
      schema: {
        tags,
        summary: 'A client with lots, bookings, purchases, fees and the ledger (newest first)',
        params: IdParams,
        response: {
          200: Type.Object({ ...Client.properties, lots: Type.Array(Lot), bookings: Type.Array(BookingWithReason), purchases: Type.Array(Purchase), fees: Type.Array(Fee), ledger: Type.Array(LedgerEntry) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      return clientDetail(deps.db, practitionerOf(request).practiceId, request.params.id, deps.clock.now());
    },
  );

  app.delete(
    '/clients/:id',
    { config: { permission: 'clients.erase' },
      schema: {
        tags,
        summary: 'Erase a client’s personal data; their ledger and bookings keep their amounts',
        params: IdParams,
        response: { 200: Client, ...problemResponses },
      },
    },
    async (request) => {
      const { practiceId } = practitionerOf(request);
      const client = await eraseClient(deps.db, practiceId, request.params.id, deps.clock.now());
      return clientWithCredits(deps.db, client, deps.clock.now());
    },
  );

  app.post(
    '/clients/:id/grants',
    { config: { permission: 'credits' },
      schema: {
        tags,
        summary: 'Grant credits: a package sold outside (manual payment) or credits with a reason',
        params: IdParams,
        body: Type.Union([
          Body({ packageId: Id, payment: Type.Optional(Type.Literal('manual')) }),
          Body({
            credits: Type.Integer({ minimum: 1, maximum: CREDITS_MAX }),
            validityDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: VALIDITY_DAYS_MAX }))),
            serviceIds: Type.Optional(Nullable(Type.Array(Id, { minItems: 1, maxItems: 100 }))),
            reason: Reason,
          }),
        ]),
        response: { 201: Lot, ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = practitionerOf(request);
      const owner = { practiceId: caller.practiceId, clientId: request.params.id };
      await runIdempotent(deps, request, reply, async (trx) => {
        const now = deps.clock.now();
        const lot = await grantCredits(deps.db, trx, owner, request.body, actorOf(caller.userId), now);
        const balance = (await clientLots(trx, owner.practiceId, owner.clientId)).find((l) => l.id === lot.id)!;
        return { status: 201, body: lotView(lotAsOf(balance, now)) };
      }, () => deps.mail.kick());
    },
  );

  app.post(
    '/clients/:id/adjustments',
    { config: { permission: 'credits' },
      schema: {
        tags,
        summary: 'Correct a lot’s available credits (negative at most what is available)',
        params: IdParams,
        body: Body({ lotId: Id, amount: Type.Integer({ minimum: -CREDITS_MAX, maximum: CREDITS_MAX, not: { const: 0 } }), reason: Reason }),
        response: { 201: LedgerEntry, ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = practitionerOf(request);
      const owner = { practiceId: caller.practiceId, clientId: request.params.id };
      await runIdempotent(deps, request, reply, async (trx) => ({
        status: 201,
        body: ledgerEntryView(await adjustLot(deps.db, trx, owner, request.body, actorOf(caller.userId), deps.clock.now())),
      }));
    },
  );
};


