import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inviteMember, resendInvitation } from '../../../app/invite-member.js';
import { listMembers, practiceTimeZone } from '../../../app/list-members.js';
import { removeMember } from '../../../app/remove-member.js';
import { updateMember } from '../../../app/update-member.js';
import { memberView } from '../../../app/views.js';
import type { AppDeps } from '../../../deps.js';
import { runIdempotent } from '../../idempotency.js';
import { Member, Role } from '../../objects.js';
import { practitionerOf, practitionerScope } from '../../plugins/auth.js';
import { Body, Email, IdParams, Name, problemResponses } from '../../schemas.js';
import { MERGE_PATCH_TYPES } from './practice.js';

const tags = ['members'];

/** The practice's team: who may act in it, as what. */
export const memberRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  practitionerScope(app, deps);
  const timeZoneOf = (practiceId: string) => practiceTimeZone(deps.db.kysely, practiceId);

  app.get(
    '/members',
    {
      config: { permission: 'practice.read' },
      schema: { tags, summary: 'The members, invited and deactivated ones included, by name', response: { 200: Type.Object({ items: Type.Array(Member), nextCursor: Type.Null() }), ...problemResponses } },
    },
    async (request) => {
      const { members, practiceTimeZone } = await listMembers(deps.db, practitionerOf(request));
      return { items: members.map((m) => memberView(m, practiceTimeZone)), nextCursor: null };
    },
  );

  app.post(
    '/members',
    {
      config: { permission: 'members' },
      schema: {
        tags,
        summary: 'Invite someone by email: a one-time link (24 h) lets them join',
        body: Body({ email: Email, name: Name, role: Role }),
        response: { 201: Member, ...problemResponses },
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
          const member = await inviteMember(deps.db, trx, caller, request.body, deps.config, now);
          return { status: 201, body: memberView(member, await practiceTimeZone(trx, caller.practiceId)) };
        },
        () => deps.mail.kick(),
      );
    },
  );

  app.post(
    '/members/:id/invitation',
    {
      config: { permission: 'members' },
      schema: { tags, summary: 'Mail a new invitation link to a member who has not joined (earlier links stop working)', params: IdParams, response: { 201: Member, ...problemResponses } },
    },
    async (request, reply) => {
      const caller = practitionerOf(request);
      const member = await resendInvitation(deps.db, caller, request.params.id, deps.config, deps.clock.now());
      deps.mail.kick();
      return reply.code(201).send(memberView(member, await timeZoneOf(caller.practiceId)));
    },
  );

  app.patch(
    '/members/:id',
    {
      config: { permission: 'members' },
      schema: {
        tags,
        summary: 'Rename, change the role, deactivate or reactivate (JSON Merge Patch); the last active owner stays one',
        consumes: MERGE_PATCH_TYPES,
        params: IdParams,
        body: Body({ name: Type.Optional(Name), role: Type.Optional(Role), active: Type.Optional(Type.Boolean()) }),
        response: { 200: Member, ...problemResponses },
      },
    },
    async (request) => {
      const caller = practitionerOf(request);
      const member = await updateMember(deps.db, caller, request.params.id, request.body, deps.clock.now());
      return memberView(member, await timeZoneOf(caller.practiceId));
    },
  );

  app.delete(
    '/members/:id',
    { config: { permission: 'members' }, schema: { tags, summary: 'Remove a member from the practice (their account stays); never the last active owner', params: IdParams, response: { 204: Type.Null(), ...problemResponses } } },
    async (request, reply) => {
      await removeMember(deps.db, practitionerOf(request), request.params.id, deps.clock.now());
      return reply.code(204).send(null);
    },
  );
};
