import type { Db } from '../db/create-db.js';
import type { MemberWithEmail } from './member-rules.js';

/** Everyone in the practice's team, invited and deactivated ones too, by name. */
export async function listMembers(db: Db, caller: { practiceId: string }): Promise<{ members: MemberWithEmail[]; practiceTimeZone: string }> {
  const practice = await db.kysely.selectFrom('practices').select('time_zone').where('id', '=', caller.practiceId).executeTakeFirstOrThrow();
  const members = await db.kysely
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .selectAll('members')
    .select('users.email')
    .where('members.practice_id', '=', caller.practiceId)
    .orderBy('members.name')
    .orderBy('members.id')
    .execute();
  return { members, practiceTimeZone: practice.time_zone };
}
