import type { Db } from '../db/create-db.js';
import { HOUR_MS, iso } from '../domain/instants.js';
import { enqueueMail } from '../mail/outbox.js';
import { reserve } from './rate-limit.js';
import { authBuckets, type AuthLimits } from './log-in.js';
import { hashPassword } from './security.js';
import { newSecret, sha256 } from '../lib/ids.js';
import { validation } from './field-errors.js';

export const PASSWORD_RESET_TTL_MS = HOUR_MS;

/** Mails a one-time link when the email has an account; answers the same either way (no account enumeration). */
export async function requestPasswordReset(
  db: Db,
  input: { email: string; ip: string },
  options: { publicUrl: string; limits: AuthLimits },
  now: Date,
): Promise<void> {
  const email = input.email.trim().toLowerCase();
  const buckets = authBuckets(options.limits, `reset:${email}`, input.ip);
  await reserve(db, buckets, now);
  const user = await db.kysely.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  if (!user) return;
  const token = newSecret('tbr');
  await db.write(async (trx) => {
    await trx
      .insertInto('password_resets')
      .values({ token_hash: sha256(token), user_id: user.id, expires_at: iso(now.getTime() + PASSWORD_RESET_TTL_MS), used_at: null })
      .execute();
    const link = `${options.publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
    await enqueueMail(
      trx,
      {
        practiceId: user.practice_id,
        to: user.email,
        subject: 'Reset your Tallybook password',
        text: `Hello ${user.name},\n\nSomeone (hopefully you) asked to reset your Tallybook password. This link works once, for one hour:\n\n${link}\n\nIf it was not you, ignore this mail; your password stays as it is.`,
      },
      now,
    );
  });
}

/**
 * Sets a new password from a link; the link works once, for an hour. A reset is what a user does
 * when they fear someone else got in, so it ends every session of the user and revokes their API
 * tokens too: a leaked `tbp_` token must not outlive it.
 */
export async function confirmPasswordReset(db: Db, input: { token: string; password: string }, now: Date): Promise<void> {
  const passwordHash = await hashPassword(input.password);
  await db.write(async (trx) => {
    const used = await trx
      .updateTable('password_resets')
      .set({ used_at: iso(now) })
      .where('token_hash', '=', sha256(input.token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', iso(now))
      .returning('user_id')
      .executeTakeFirst();
    if (!used) throw validation('/token', 'is invalid, expired or already used');
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', used.user_id).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', used.user_id).execute();
    await trx.updateTable('api_tokens').set({ revoked_at: iso(now) }).where('user_id', '=', used.user_id).where('revoked_at', 'is', null).execute();
  });
}
