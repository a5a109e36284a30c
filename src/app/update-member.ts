import type { Db } from '../db/create-db.js';
import type { MemberRole } from '../db/schema.js';
import { assertAnotherOwnerRemains, endMemberAccess, isActingOwner, memberOfPractice, type MemberWithEmail } from './member-rules.js';

export interface MemberPatch {
  name?: string;
  role?: MemberRole;
  active?: boolean;
}

/**
 * Renames a member, changes their role or (de)activates them. The last active owner can be neither
 * demoted nor deactivated (409). A deactivated member's sessions and API tokens in the practice end.
 */
export async function updateMember(db: Db, caller: { practiceId: string }, memberId: string, patch: MemberPatch, now: Date): Promise<MemberWithEmail> {
  return db.write(async (trx) => {
    await db.lockRow(trx, 'practices', caller.practiceId);
    const before = await memberOfPractice(trx, caller.practiceId, memberId);
    const after = {
      ...before,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.active !== undefined ? { active: patch.active ? (1 as const) : (0 as const) } : {}),
    };
    if (isActingOwner(before) && !isActingOwner(after)) await assertAnotherOwnerRemains(trx, caller.practiceId, memberId);
    await trx.updateTable('members').set({ name: after.name, role: after.role, active: after.active }).where('id', '=', memberId).execute();
    if (before.active === 1 && after.active === 0) await endMemberAccess(trx, before, now);
    return after;
  });
}
