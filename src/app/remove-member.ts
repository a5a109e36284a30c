import type { Db } from '../db/create-db.js';
import { assertAnotherOwnerRemains, endMemberAccess, isActingOwner, memberOfPractice } from './member-rules.js';

/**
 * Takes a member out of the practice: their membership, pending invitations, sessions there and API
 * tokens there go; their account stays (it may belong to other practices). Never the last active owner.
 */
export async function removeMember(db: Db, caller: { practiceId: string }, memberId: string, now: Date): Promise<void> {
  await db.write(async (trx) => {
    await db.lockRow(trx, 'practices', caller.practiceId);
    const member = await memberOfPractice(trx, caller.practiceId, memberId);
    if (isActingOwner(member)) await assertAnotherOwnerRemains(trx, caller.practiceId, memberId);
    await endMemberAccess(trx, member, now);
    await trx.deleteFrom('member_invitations').where('member_id', '=', memberId).execute();
    await trx.deleteFrom('members').where('id', '=', memberId).execute();
  });
}
