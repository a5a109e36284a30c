import type { Db, Trx } from '../db/create-db.js';
import type { MemberRole } from '../db/schema.js';
import { DAY_MS, iso } from '../domain/instants.js';
import { newSecret, sha256 } from '../lib/ids.js';

export const SESSION_TTL_DAYS = 30;

/**
 * Who is calling. A practitioner acts as one member of one practice (the session's, or the API
 * token's), with that member's role; `sessionHash` names the session (null for an API token, which
 * is bound to the practice it was made in).
 */
export type Caller =
  | { kind: 'practitioner'; practiceId: string; userId: string; memberId: string; role: MemberRole; via: 'cookie' | 'bearer'; sessionHash: string | null }
  | { kind: 'client'; practiceId: string; clientId: string; via: 'cookie' | 'bearer' };

/** Starts a session and returns its secret (the cookie or bearer value); only the hash is stored. */
export async function startSession(
  trx: Trx,
  subject: { kind: 'user'; practiceId: string; userId: string } | { kind: 'client'; practiceId: string; clientId: string },
  now: Date,
): Promise<string> {
  const secret = newSecret(subject.kind === 'user' ? 'tbs' : 'tbc');
  await trx
    .insertInto('sessions')
    .values({
      token_hash: sha256(secret),
      kind: subject.kind,
      practice_id: subject.practiceId,
      user_id: subject.kind === 'user' ? subject.userId : null,
      client_id: subject.kind === 'client' ? subject.clientId : null,
      created_at: iso(now),
      expires_at: iso(now.getTime() + SESSION_TTL_DAYS * DAY_MS),
    })
    .execute();
  return secret;
}

export async function endSession(db: Db, secret: string): Promise<void> {
  await db.kysely.deleteFrom('sessions').where('token_hash', '=', sha256(secret)).execute();
}

/** The member through which a user acts in a practice: only an active one who joined. */
async function actingMember(db: Db, practiceId: string, userId: string) {
  return db.kysely
    .selectFrom('members')
    .select(['id', 'role'])
    .where('practice_id', '=', practiceId)
    .where('user_id', '=', userId)
    .where('active', '=', 1)
    .where('joined_at', 'is not', null)
    .executeTakeFirst();
}

/** A session secret (cookie or client bearer) → the caller, if it is live (and, for a practitioner, still an active member). */
export async function callerFromSession(db: Db, secret: string, via: 'cookie' | 'bearer', now: Date): Promise<Caller | null> {
  const tokenHash = sha256(secret);
  const session = await db.kysely
    .selectFrom('sessions')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', iso(now))
    .executeTakeFirst();
  if (!session) return null;
  if (session.kind === 'user' && session.user_id) {
    const member = await actingMember(db, session.practice_id, session.user_id);
    if (!member) return null;
    return { kind: 'practitioner', practiceId: session.practice_id, userId: session.user_id, memberId: member.id, role: member.role, via, sessionHash: tokenHash };
  }
  if (session.kind === 'client' && session.client_id) return { kind: 'client', practiceId: session.practice_id, clientId: session.client_id, via };
  return null;
}

/** How stale an API token's `lastUsedAt` may be. */
export const TOKEN_LAST_USED_PRECISION_MS = 60_000;

/** A practitioner's API token → the caller, if it is not revoked and its member may still act. */
export async function callerFromApiToken(db: Db, token: string, now: Date): Promise<Caller | null> {
  const row = await db.kysely
    .selectFrom('api_tokens')
    .select(['id', 'practice_id', 'user_id', 'last_used_at'])
    .where('token_hash', '=', sha256(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const member = await actingMember(db, row.practice_id, row.user_id);
  if (!member) return null;
  // Written at most once a minute: an integration reading in a loop must not turn every GET into a write.
  if (row.last_used_at === null || Date.parse(row.last_used_at) <= now.getTime() - TOKEN_LAST_USED_PRECISION_MS) {
    await db.kysely.updateTable('api_tokens').set({ last_used_at: iso(now) }).where('id', '=', row.id).execute();
  }
  return { kind: 'practitioner', practiceId: row.practice_id, userId: row.user_id, memberId: member.id, role: member.role, via: 'bearer', sessionHash: null };
}
