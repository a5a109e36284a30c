import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callerPractice } from '../../../app/caller-practice.js';
import { updatePractice } from '../../../app/update-practice.js';
import { practiceView } from '../../../app/views.js';
import type { AppDeps } from '../../../deps.js';
import { Practice, PolicyInput } from '../../objects.js';
import { practitionerOf } from '../../plugins/auth.js';
import { Body, Name, Nullable, problemResponses } from '../../schemas.js';

const tags = ['practice'];
export const MERGE_PATCH_TYPES = ['application/merge-patch+json', 'application/json'];

/** GET and PATCH /practice. */
export const practiceRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get('/practice', { config: { permission: 'practice.read' }, schema: { tags, summary: 'The practice', response: { 200: Practice, ...problemResponses } } }, async (request) =>
    practiceView(await callerPractice(deps.db, practitionerOf(request))),
  );

  app.patch(
    '/practice',
    { config: { permission: 'settings' },
      schema: {
        tags,
        summary: 'Change the practice (JSON Merge Patch; the policy merges field by field)',
        consumes: MERGE_PATCH_TYPES,
        body: Body({
          name: Type.Optional(Name),
          slug: Type.Optional(Type.String({ minLength: 3, maxLength: 40 })),
          timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
          policy: Type.Optional(PolicyInput),
          stripeAccountId: Type.Optional(Nullable(Type.String({ pattern: '^acct_[A-Za-z0-9]{1,64}$' }))),
        }),
        response: { 200: Practice, ...problemResponses },
      },
    },
    async (request) => practiceView(await updatePractice(deps.db, practitionerOf(request), request.body)),
  );
};
