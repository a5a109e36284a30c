import type { Kysely } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { Schema } from '../db/schema.js';
import type { MemberWithEmail } from './member-rules.js';

/** The zone a member without their own lives by: the practice's. */
export async function practiceTimeZone(db: Kysely<Schema> | Trx, practiceId: string): Promise<string> {
  return (await db.selectFrom('practices').select('time_zone').where('id', '=', practiceId).executeTakeFirstOrThrow()).time_zone;
}

/** Everyone in the practice's team, invited and deactivated ones too, by name. */
export async function listMembers(db: Db, caller: { practiceId: string }): Promise<{ members: MemberWithEmail[]; practiceTimeZone: string }> {
  const members = await db.kysely
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .selectAll('members')
    .select('users.email')
    .where('members.practice_id', '=', caller.practiceId)
    .orderBy('members.name')
    .orderBy('members.id')
    .execute();
  return { members, practiceTimeZone: await practiceTimeZone(db.kysely, caller.practiceId) };
}
