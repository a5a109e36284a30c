import type { Db } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import { sha256 } from '../lib/ids.js';
import { validation } from './field-errors.js';
import { loginBuckets, type AuthLimits } from './log-in.js';
import { accountIn } from './practitioner-account.js';
import { reserve } from './rate-limit.js';
import { hashPassword, verifyPassword } from './security.js';
import { startSession } from './sessions.js';

const INVALID = 'is invalid, expired or already used';

/**
 * Opens an invitation link: the member joins and a session starts in their practice (answered like a
 * login). A new account gets the password given; an existing one must give its own (a wrong one is
 * 401, counted like a failed login). The link works once, for 24 hours, while the member is active.
 */
export async function acceptInvitation(
  db: Db,
  input: { token: string; password: string; ip: string; previousSecret?: string | undefined },
  limits: AuthLimits,
  now: Date,
) {
  const tokenHash = sha256(input.token);
  const invited = await db.kysely
    .selectFrom('member_invitations')
    .innerJoin('members', 'members.id', 'member_invitations.member_id')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select(['members.id as memberId', 'members.practice_id as practiceId', 'users.id as userId', 'users.email', 'users.password_hash as passwordHash'])
    .where('member_invitations.token_hash', '=', tokenHash)
    .where('member_invitations.used_at', 'is', null)
    .where('member_invitations.expires_at', '>', iso(now))
    .where('members.active', '=', 1)
    .executeTakeFirst();
  if (!invited) throw validation('/token', INVALID);

  let newPasswordHash: string | null = null;
  if (invited.passwordHash) {
    const reservation = await reserve(db, loginBuckets(limits, invited.email, input.ip), now);
    if (!(await verifyPassword(invited.passwordHash, input.password))) {
      throw new DomainError('unauthenticated', 'this email already has a Tallybook account: give its password');
    }
    await reservation.release();
  } else {
    newPasswordHash = await hashPassword(input.password); // ~20 ms: outside the transaction
  }

  return db.write(async (trx) => {
    const used = await trx
      .updateTable('member_invitations')
      .set({ used_at: iso(now) })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', iso(now))
      .executeTakeFirst();
    const joined = await trx
      .updateTable('members')
      .set({ joined_at: iso(now) })
      .where('id', '=', invited.memberId)
      .where('active', '=', 1)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1 || Number(joined.numUpdatedRows) !== 1) throw validation('/token', INVALID);
    if (newPasswordHash !== null) {
      // Set only if still unset: a password chosen meanwhile (another invitation, a reset) is not overwritten.
      const set = await trx.updateTable('users').set({ password_hash: newPasswordHash }).where('id', '=', invited.userId).where('password_hash', '=', '').executeTakeFirst();
      if (Number(set.numUpdatedRows) !== 1) throw new DomainError('conflict', 'a password was set for this account meanwhile: open the link again and give it');
    }
    await trx.deleteFrom('member_invitations').where('member_id', '=', invited.memberId).where('token_hash', '<>', tokenHash).execute();
    if (input.previousSecret) await trx.deleteFrom('sessions').where('token_hash', '=', sha256(input.previousSecret)).execute();
    const secret = await startSession(trx, { kind: 'user', practiceId: invited.practiceId, userId: invited.userId }, now);
    return { account: await accountIn(trx, invited.userId, invited.practiceId), secret };
  });
}
