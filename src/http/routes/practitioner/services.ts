import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BUFFER_MINUTES_MAX,
  CAPACITY_MAX,
  CREDIT_COST_MAX,
  createService,
  deleteService,
  DURATION_MINUTES_MAX,
  DURATION_MINUTES_MIN,
  getService,
  listServices,
  MAX_ADVANCE_DAYS_MAX,
  MAX_ADVANCE_DAYS_MIN,
  MIN_NOTICE_MINUTES_MAX,
  SLOT_STEP_MINUTES_MAX,
  SLOT_STEP_MINUTES_MIN,
  updateService,
} from '../../../app/services.js';
import { serviceView } from '../../../app/views.js';
import type { AppDeps } from '../../../deps.js';
import { Service, WINDOW_HOURS_MAX } from '../../objects.js';
import { practitionerOf } from '../../plugins/auth.js';
import { Body, Collection, IdParams, Money, Name, Nullable, PageQuery, problemResponses, TEXT_LENGTH_MAX } from '../../schemas.js';
import { MERGE_PATCH_TYPES } from './practice.js';

const tags = ['services'];
const minutes = (minimum: number, maximum: number) => Type.Integer({ minimum, maximum });
const PolicyAction = Type.Union([Type.Literal('forfeit'), Type.Literal('fee'), Type.Literal('none')]);
/** A service's override of the practice policy: any field may be given; `null` removes it, so it inherits. */
const PolicyOverrideInput = Body({
  windowHours: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: WINDOW_HOURS_MAX }))),
  lateCancel: Type.Optional(Nullable(PolicyAction)),
  noShow: Type.Optional(Nullable(PolicyAction)),
  lateCancelFee: Type.Optional(Nullable(Money)),
  noShowFee: Type.Optional(Nullable(Money)),
  clientReschedule: Type.Optional(Nullable(Type.Boolean())),
  blockBookingWhileFeeOwed: Type.Optional(Nullable(Type.Boolean())),
});

const fields = {
  name: Name,
  durationMinutes: minutes(DURATION_MINUTES_MIN, DURATION_MINUTES_MAX),
  description: Type.String({ maxLength: TEXT_LENGTH_MAX }),
  creditCost: Type.Integer({ minimum: 0, maximum: CREDIT_COST_MAX }),
  price: Nullable(Money),
  bufferBeforeMinutes: minutes(0, BUFFER_MINUTES_MAX),
  bufferAfterMinutes: minutes(0, BUFFER_MINUTES_MAX),
  minNoticeMinutes: minutes(0, MIN_NOTICE_MINUTES_MAX),
  maxAdvanceDays: Type.Integer({ minimum: MAX_ADVANCE_DAYS_MIN, maximum: MAX_ADVANCE_DAYS_MAX }),
  slotStepMinutes: minutes(SLOT_STEP_MINUTES_MIN, SLOT_STEP_MINUTES_MAX),
  capacity: Type.Integer({ minimum: 1, maximum: CAPACITY_MAX }),
  policy: Nullable(PolicyOverrideInput),
  active: Type.Boolean(),
};
const ServicePatch = Type.Partial(Body(fields), { additionalProperties: false });
/** Only the name and the duration are required. */
const NewService = Body({ ...ServicePatch.properties, name: fields.name, durationMinutes: fields.durationMinutes });

/** Services: all of them (active or not) for the practitioner. */
export const serviceRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/services',
    { config: { permission: 'practice.read' }, schema: { tags, summary: 'List services', querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: Collection(Service), ...problemResponses } } },
    async (request) => {
      const { practice, items, nextCursor } = await listServices(deps.db, practitionerOf(request), request.query);
      return { items: items.map((s) => serviceView(s, practice)), nextCursor };
    },
  );

  app.post(
    '/services',
    { config: { permission: 'settings' }, schema: { tags, summary: 'Create a service', body: NewService, response: { 201: Service, ...problemResponses } } },
    async (request, reply) => {
      const { service, practice } = await createService(deps.db, practitionerOf(request), request.body, deps.clock.now());
      return reply.code(201).send(serviceView(service, practice));
    },
  );

  app.get(
    '/services/:id',
    { config: { permission: 'practice.read' }, schema: { tags, summary: 'A service', params: IdParams, response: { 200: Service, ...problemResponses } } },
    async (request) => {
      const { service, practice } = await getService(deps.db, practitionerOf(request), request.params.id);
      return serviceView(service, practice);
    },
  );

  app.patch(
    '/services/:id',
    { config: { permission: 'settings' },
      schema: {
        tags,
        summary: 'Change a service (JSON Merge Patch; `policy: null` inherits the practice’s again)',
        consumes: MERGE_PATCH_TYPES,
        params: IdParams,
        body: ServicePatch,
        response: { 200: Service, ...problemResponses },
      },
    },
    async (request) => {
      const { service, practice } = await updateService(deps.db, practitionerOf(request), request.params.id, request.body);
      return serviceView(service, practice);
    },
  );

  app.delete(
    '/services/:id',
    { config: { permission: 'settings' },
      schema: {
        tags,
        summary: 'Delete a service, or deactivate it (200) when bookings refer to it',
        params: IdParams,
        response: { 200: Service, 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const result = await deleteService(deps.db, practitionerOf(request), request.params.id);
      if ('deleted' in result) return reply.code(204).send(null);
      return serviceView(result.service, result.practice);
    },
  );
};
