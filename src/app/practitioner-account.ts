import type { Kysely } from 'kysely';
import type { Db } from '../db/create-db.js';
import type { MemberRow, PracticeRow, Schema, UserRow } from '../db/schema.js';

export interface PracticeChoice {
  id: string;
  name: string;
  slug: string;
  role: MemberRow['role'];
}

export interface PractitionerAccount {
  user: UserRow;
  practice: PracticeRow;
  member: MemberRow;
  /** Every practice the account may act in now (active memberships that joined), by name. */
  practices: PracticeChoice[];
}

/** The practices an account may act in. */
export async function practicesOf(k: Kysely<Schema>, userId: string): Promise<PracticeChoice[]> {
  const rows = await k
    .selectFrom('members')
    .innerJoin('practices', 'practices.id', 'members.practice_id')
    .select(['practices.id', 'practices.name', 'practices.slug', 'members.role', 'members.joined_at'])
    .where('members.user_id', '=', userId)
    .where('members.active', '=', 1)
    .where('members.joined_at', 'is not', null)
    .orderBy('practices.name')
    .orderBy('practices.id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, slug: r.slug, role: r.role }));
}

/** The signed-in account, the practice it acts in and as whom (GET /auth/session, and what every sign-in answers). */
export async function accountIn(k: Kysely<Schema>, userId: string, practiceId: string): Promise<PractitionerAccount> {
  const user = await k.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
  const practice = await k.selectFrom('practices').selectAll().where('id', '=', practiceId).executeTakeFirstOrThrow();
  const member = await k.selectFrom('members').selectAll().where('practice_id', '=', practiceId).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return { user, practice, member, practices: await practicesOf(k, userId) };
}

export async function practitionerAccount(db: Db, caller: { userId: string; practiceId: string }): Promise<PractitionerAccount> {
  return accountIn(db.kysely, caller.userId, caller.practiceId);
}
