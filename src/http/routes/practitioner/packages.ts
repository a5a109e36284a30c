import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  createPackage,
  getPackage,
  listPackages,
  PACKAGE_CREDITS_MAX,
  PACKAGE_CREDITS_MIN,
  PACKAGE_SERVICES_MAX,
  updatePackage,
  VALIDITY_DAYS_MAX,
  VALIDITY_DAYS_MIN,
} from '../../../app/packages.js';
import { packageView } from '../../../app/views.js';
import type { AppDeps } from '../../../deps.js';
import { Package } from '../../objects.js';
import { practitionerOf } from '../../plugins/auth.js';
import { Body, Collection, Id, IdParams, Money, Name, Nullable, PageQuery, problemResponses } from '../../schemas.js';
import { MERGE_PATCH_TYPES } from './practice.js';

const tags = ['packages'];

const fields = {
  name: Name,
  credits: Type.Integer({ minimum: PACKAGE_CREDITS_MIN, maximum: PACKAGE_CREDITS_MAX }),
  price: Money,
  validityDays: Nullable(Type.Integer({ minimum: VALIDITY_DAYS_MIN, maximum: VALIDITY_DAYS_MAX })),
  serviceIds: Nullable(Type.Array(Id, { minItems: 1, maxItems: PACKAGE_SERVICES_MAX, uniqueItems: true })),
  active: Type.Boolean(),
};
const PackagePatch = Type.Partial(Body(fields), { additionalProperties: false });
const NewPackage = Body({ ...PackagePatch.properties, name: fields.name, credits: fields.credits, price: fields.price });

/** Packages of credits: all of them (active or not) for the practitioner. */
export const packageRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/packages',
    { config: { permission: 'practice.read' }, schema: { tags, summary: 'List packages', querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: Collection(Package), ...problemResponses } } },
    async (request) => {
      const { practice, items, nextCursor } = await listPackages(deps.db, practitionerOf(request), request.query);
      return { items: items.map((p) => packageView(p, practice)), nextCursor };
    },
  );

  app.post(
    '/packages',
    { config: { permission: 'settings' }, schema: { tags, summary: 'Create a package', body: NewPackage, response: { 201: Package, ...problemResponses } } },
    async (request, reply) => {
      const { pkg, practice } = await createPackage(deps.db, practitionerOf(request), request.body, deps.clock.now());
      return reply.code(201).send(packageView(pkg, practice));
    },
  );

  app.get(
    '/packages/:id',
    { config: { permission: 'practice.read' }, schema: { tags, summary: 'A package', params: IdParams, response: { 200: Package, ...problemResponses } } },
    async (request) => {
      const { pkg, practice } = await getPackage(deps.db, practitionerOf(request), request.params.id);
      return packageView(pkg, practice);
    },
  );

  app.patch(
    '/packages/:id',
    { config: { permission: 'settings' },
      schema: {
        tags,
        summary: 'Change a package (JSON Merge Patch; `validityDays: null` never expires, `serviceIds: null` covers every service)',
        consumes: MERGE_PATCH_TYPES,
        params: IdParams,
        body: PackagePatch,
        response: { 200: Package, ...problemResponses },
      },
    },
    async (request) => {
      const { pkg, practice } = await updatePackage(deps.db, practitionerOf(request), request.params.id, request.body);
      return packageView(pkg, practice);
    },
  );
};
