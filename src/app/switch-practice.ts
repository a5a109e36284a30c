import type { Db } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { accountIn, type PractitionerAccount } from './practitioner-account.js';

/**
 * Points the caller's session at another practice of the account. A practice where the account is
 * not an active member is not found (whoever asks); an API token, bound to its practice, cannot switch.
 */
export async function switchPractice(db: Db, caller: { userId: string; sessionHash: string | null }, practiceId: string): Promise<PractitionerAccount> {
  return db.write(async (trx) => {
    const member = await trx
      .selectFrom('members')
      .select('id')
      .where('practice_id', '=', practiceId)
      .where('user_id', '=', caller.userId)
      .where('active', '=', 1)
      .where('joined_at', 'is not', null)
      .executeTakeFirst();
    if (!member) throw new DomainError('not_found', 'no such practice');
    if (caller.sessionHash === null) throw new DomainError('forbidden', 'an API token acts in the practice it was made in; sign in to switch');
    await trx.updateTable('sessions').set({ practice_id: practiceId }).where('token_hash', '=', caller.sessionHash).execute();
    return accountIn(trx, caller.userId, practiceId);
  });
}
