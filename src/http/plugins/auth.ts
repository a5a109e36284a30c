import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Config } from '../../config.js';
import { callerFromApiToken, callerFromSession, SESSION_TTL_DAYS, type Caller } from '../../app/sessions.js';
import { DomainError } from '../../domain/errors.js';
import type { AppDeps } from '../../deps.js';
import { can, isPermission, PERMISSIONS, type Permission } from '../../domain/roles.js';

export const PRACTITIONER_COOKIE = 'tb_session';
export const CLIENT_COOKIE = 'tb_client';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** What a practitioner route needs of the caller's role (domain/roles.ts); every practitioner route declares one. */
    permission?: Permission;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The preHandler of an authenticated scope: runs after validation (400 comes before 401).
 * No valid credentials → 401; valid credentials of the other kind (a client on a practitioner
 * route) → 403; a cookie-authenticated write from a foreign Origin → 403.
 */
export function requireCaller(kind: Caller['kind'], deps: AppDeps): preHandlerAsyncHookHandler {
  return async (request) => {
    const now = deps.clock.now();
    const callers = await resolveCallers(request, deps, now);
    const caller = callers.find((c) => c.kind === kind);
    if (!caller) {
      if (callers.length > 0) throw new DomainError('forbidden', `this route is for ${kind}s`);
      throw new DomainError('unauthenticated', 'sign in first');
    }
    if (caller.via === 'cookie' && !SAFE_METHODS.has(request.method) && !originAllowed(request, deps.config)) {
      throw new DomainError('forbidden', 'cross-origin write refused');
    }
    if (caller.kind === 'practitioner') {
      const permission = request.routeOptions.config.permission;
      // practitionerScope refuses to register a route without one; this is the belt to those braces.
      if (!isPermission(permission)) throw new Error(`${request.method} ${request.routeOptions.url} declares no permission`);
      if (!can(caller.role, permission)) throw new DomainError('forbidden', `a member with the role ${caller.role} may not do this (it needs ${PERMISSIONS[permission].join(' or ')})`);
    }
    request.caller = caller;
  };
}

/**
 * Makes a plugin's scope practitioner-only: every route registered in it (and in the plugins it
 * registers) must declare `config.permission`, or the app does not start; the preHandler checks it.
 * The roles allowed are added to the route's OpenAPI description.
 */
export function practitionerScope(app: FastifyInstance, deps: AppDeps): void {
  app.addHook('onRoute', (route) => {
    const permission = (route.config as { permission?: unknown } | undefined)?.permission;
    if (!isPermission(permission)) throw new Error(`${String(route.method)} ${route.url}: a practitioner route must declare config.permission`);
    const roles = `Roles: ${PERMISSIONS[permission].join(', ')} (permission \`${permission}\`).`;
    // A GET's HEAD route shares its schema: the roles are written once.
    if (route.schema && !route.schema.description?.includes(roles)) {
      route.schema.description = route.schema.description ? `${route.schema.description}\n\n${roles}` : roles;
    }
  });
  app.addHook('preHandler', requireCaller('practitioner', deps));
}

async function resolveCallers(request: FastifyRequest, deps: AppDeps, now: Date): Promise<Caller[]> {
  const found: Caller[] = [];
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) {
    const caller = bearer.startsWith('tbp_')
      ? await callerFromApiToken(deps.db, bearer, now)
      : await callerFromSession(deps.db, bearer, 'bearer', now);
    if (caller) found.push(caller);
  }
  for (const name of [PRACTITIONER_COOKIE, CLIENT_COOKIE]) {
    const secret = request.cookies[name];
    if (!secret) continue;
    const caller = await callerFromSession(deps.db, secret, 'cookie', now);
    // A practitioner cookie only ever authenticates a practitioner, and the reverse.
    if (caller && (caller.kind === 'practitioner') === (name === PRACTITIONER_COOKIE)) found.push(caller);
  }
  return found;
}

/**
 * The session secrets a request carries: its cookie's and its bearer's, unless the bearer is an API
 * token (`tbp_`), which is not a session and ends only when revoked. A logout ends them all.
 */
export function sessionSecretsOf(request: FastifyRequest, cookieName: string): string[] {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  return [request.cookies[cookieName], bearer && !bearer.startsWith('tbp_') ? bearer : undefined].filter((s): s is string => Boolean(s));
}

/** Browsers send Origin on cross-site writes; it must be ours (PUBLIC_URL or the Host we are reached at). */
function originAllowed(request: FastifyRequest, config: Config): boolean {
  const origin = request.headers.origin;
  if (!origin) return true;
  if (origin === new URL(config.publicUrl).origin) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export function setSessionCookie(reply: FastifyReply, name: string, secret: string, config: Config): void {
  reply.setCookie(name, secret, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.production,
    path: '/',
    maxAge: SESSION_TTL_DAYS * 24 * 60 * 60,
  });
}

export function clearSessionCookie(reply: FastifyReply, name: string, config: Config): void {
  reply.clearCookie(name, { httpOnly: true, sameSite: 'lax', secure: config.production, path: '/' });
}

export function practitionerOf(request: FastifyRequest) {
  const caller = request.caller;
  if (caller?.kind !== 'practitioner') throw new Error('practitioner route without a practitioner caller');
  return caller;
}

export function clientOf(request: FastifyRequest) {
  const caller = request.caller;
  if (caller?.kind !== 'client') throw new Error('client route without a client caller');
  return caller;
}
