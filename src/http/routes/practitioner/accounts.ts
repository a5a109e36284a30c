import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createApiToken, listApiTokens, revokeApiToken } from '../../../app/api-tokens.js';
import { logIn } from '../../../app/log-in.js';
import { confirmPasswordReset, requestPasswordReset } from '../../../app/password-reset.js';
import { practitionerAccount } from '../../../app/practitioner-account.js';
import { endSession } from '../../../app/sessions.js';
import { signUp } from '../../../app/sign-up.js';
import { accountView } from '../../../app/views.js';
import { acceptInvitation } from '../../../app/accept-invitation.js';
import { switchPractice } from '../../../app/switch-practice.js';
import type { AppDeps } from '../../../deps.js';
import { Account } from '../../objects.js';
import { clearSessionCookie, PRACTITIONER_COOKIE, practitionerOf, practitionerScope, sessionSecretsOf, setSessionCookie } from '../../plugins/auth.js';
import { Body, Email, Id, IdParams, Name, problemResponses } from '../../schemas.js';

export const PASSWORD_LENGTH_MIN = 10;
export const PASSWORD_LENGTH_MAX = 200;
const Password = Type.String({ minLength: PASSWORD_LENGTH_MIN, maxLength: PASSWORD_LENGTH_MAX });
const tags = ['accounts'];

/** Signup, login and password reset: open to anyone. */
export const accountRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const limits = { accountPer15Min: deps.config.rateLimitAccountPer15Min, ipPerMin: deps.config.rateLimitIpPerMin };

  app.post(
    '/signup',
    {
      schema: {
        tags,
        summary: 'Create an account and its practice',
        body: Body({
          email: Email,
          password: Password,
          name: Name,
          practiceName: Name,
          slug: Type.String({ minLength: 3, maxLength: 40 }),
          timeZone: Type.String({ minLength: 1, maxLength: 64 }),
          currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
        }),
        response: { 201: Account, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { account, secret } = await signUp(deps.db, request.body, deps.clock.now());
      setSessionCookie(reply, PRACTITIONER_COOKIE, secret, deps.config);
      return reply.code(201).send(accountView(account));
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in with email and password',
        body: Body({ email: Email, password: Type.String({ minLength: 1, maxLength: PASSWORD_LENGTH_MAX }) }),
        response: { 200: Account, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { account, secret } = await logIn(
        deps.db,
        { ...request.body, ip: request.ip, previousSecret: request.cookies[PRACTITIONER_COOKIE] },
        limits,
        deps.clock.now(),
      );
      setSessionCookie(reply, PRACTITIONER_COOKIE, secret, deps.config);
      return accountView(account);
    },
  );

  app.post(
    '/auth/invitation/accept',
    {
      schema: {
        tags,
        summary: 'Join a practice with an invitation link’s token; signs in as with login',
        description:
          'A new account gets the password given. An email that already has an account joins with that account: the password must be its own (else 401).',
        body: Body({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Password }),
        response: { 200: Account, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { account, secret } = await acceptInvitation(
        deps.db,
        { ...request.body, ip: request.ip, previousSecret: request.cookies[PRACTITIONER_COOKIE] },
        limits,
        deps.clock.now(),
      );
      setSessionCookie(reply, PRACTITIONER_COOKIE, secret, deps.config);
      return accountView(account);
    },
  );

  app.post(
    '/auth/password-reset',
    {
      schema: {
        tags,
        summary: 'Mail a one-time password reset link',
        body: Body({ email: Email }),
        response: { 202: Type.Object({ status: Type.Literal('accepted') }), ...problemResponses },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(deps.db, { email: request.body.email, ip: request.ip }, { publicUrl: deps.config.publicUrl, limits }, deps.clock.now());
      deps.mail.kick();
      return reply.code(202).send({ status: 'accepted' as const });
    },
  );

  app.post(
    '/auth/password-reset/confirm',
    {
      schema: {
        tags,
        summary: 'Set a new password with the link’s token',
        body: Body({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Password }),
        response: { 200: Type.Object({ status: Type.Literal('ok') }), ...problemResponses },
      },
    },
    async (request) => {
      await confirmPasswordReset(deps.db, request.body, deps.clock.now());
      return { status: 'ok' as const };
    },
  );
};

/** The signed-in practitioner's session and API tokens. */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  practitionerScope(app, deps);

  app.get('/auth/session', { config: { permission: 'account' }, schema: { tags, summary: 'The current session', response: { 200: Account, ...problemResponses } } }, async (request) => {
    return accountView(await practitionerAccount(deps.db, practitionerOf(request)));
  });

  app.post(
    '/auth/switch',
    {
      config: { permission: 'account' },
      schema: {
        tags,
        summary: 'Act in another practice of the account (the session follows; an API token cannot)',
        body: Body({ practiceId: Id }),
        response: { 200: Account, ...problemResponses },
      },
    },
    async (request) => accountView(await switchPractice(deps.db, practitionerOf(request), request.body.practiceId)),
  );

  app.post('/auth/logout', { config: { permission: 'account' }, schema: { tags, summary: 'End the session', response: { 204: Type.Null(), ...problemResponses } } }, async (request, reply) => {
    for (const secret of sessionSecretsOf(request, PRACTITIONER_COOKIE)) await endSession(deps.db, secret);
    clearSessionCookie(reply, PRACTITIONER_COOKIE, deps.config);
    return reply.code(204).send(null);
  });

  const Token = Type.Object({ id: Type.String(), name: Type.String(), createdAt: Type.String(), lastUsedAt: Type.Union([Type.String(), Type.Null()]) });
  app.post(
    '/tokens',
    { config: { permission: 'account' },
      schema: {
        tags,
        summary: 'Create an API token (shown once)',
        body: Body({ name: Name }),
        response: { 201: Type.Object({ id: Type.String(), name: Type.String(), token: Type.String(), createdAt: Type.String() }), ...problemResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createApiToken(deps.db, practitionerOf(request), request.body.name, deps.clock.now())),
  );
  app.get(
    '/tokens',
    { config: { permission: 'account' }, schema: { tags, summary: 'List API tokens', response: { 200: Type.Object({ items: Type.Array(Token), nextCursor: Type.Null() }), ...problemResponses } } },
    async (request) => ({ items: await listApiTokens(deps.db, practitionerOf(request)), nextCursor: null }),
  );
  app.delete(
    '/tokens/:id',
    { config: { permission: 'account' }, schema: { tags, summary: 'Revoke an API token', params: IdParams, response: { 204: Type.Null(), ...problemResponses } } },
    async (request, reply) => {
      await revokeApiToken(deps.db, practitionerOf(request), request.params.id, deps.clock.now());
      return reply.code(204).send(null);
    },
  );
};
