import type { Kysely } from 'kysely';
import type { Trx } from '../db/create-db.js';
import type { MemberRow, Schema } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';

/** A practice has at most this many members (invited ones included). */
export const MEMBERS_PER_PRACTICE_MAX = 200;
export const INVITATION_TTL_HOURS = 24;

export type MemberWithEmail = MemberRow & { email: string };

/** A member of the practice with its account's email; a member of another practice is not found. */
export async function memberOfPractice(k: Kysely<Schema>, practiceId: string, memberId: string): Promise<MemberWithEmail> {
  const member = await k
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .selectAll('members')
    .select('users.email')
    .where('members.practice_id', '=', practiceId)
    .where('members.id', '=', memberId)
    .executeTakeFirst();
  if (!member) throw new DomainError('not_found', 'no such member');
  return member;
}

/** An owner who may act now: the practice must always keep one. */
export function isActingOwner(member: Pick<MemberRow, 'role' | 'active' | 'joined_at'>): boolean {
  return member.role === 'owner' && member.active === 1 && member.joined_at !== null;
}

/**
 * Refuses a change that would leave the practice without an active owner. The caller holds the
 * practice's row lock, so two owners demoting each other at once cannot both pass.
 */
export async function assertAnotherOwnerRemains(trx: Trx, practiceId: string, memberId: string): Promise<void> {
  const other = await trx
    .selectFrom('members')
    .select('id')
    .where('practice_id', '=', practiceId)
    .where('id', '<>', memberId)
    .where('role', '=', 'owner')
    .where('active', '=', 1)
    .where('joined_at', 'is not', null)
    .executeTakeFirst();
  if (!other) throw new DomainError('conflict', 'the practice needs at least one active owner: make someone else an owner first');
}

/** A member who may no longer act in the practice: their sessions there end and their API tokens there are revoked. */
export async function endMemberAccess(trx: Trx, member: Pick<MemberRow, 'practice_id' | 'user_id'>, now: Date): Promise<void> {
  await trx.deleteFrom('sessions').where('kind', '=', 'user').where('user_id', '=', member.user_id).where('practice_id', '=', member.practice_id).execute();
  await trx
    .updateTable('api_tokens')
    .set({ revoked_at: iso(now) })
    .where('user_id', '=', member.user_id)
    .where('practice_id', '=', member.practice_id)
    .where('revoked_at', 'is', null)
    .execute();
}
