import type { Db } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { assertWithinLimits, countHit, type RateBucket } from './rate-limit.js';
import { sha256, verifyAgainstDummy, verifyPassword } from './security.js';
import { startSession } from './sessions.js';

export interface AuthLimits {
  accountPer15Min: number;
  ipPerMin: number;
}

export function authBuckets(limits: AuthLimits, account: string, ip: string): RateBucket[] {
  return [
    { key: `account:${account}`, limit: limits.accountPer15Min, windowMs: 15 * 60_000 },
    { key: `ip:${ip}`, limit: limits.ipPerMin, windowMs: 60_000 },
  ];
}

/**
 * Password login. Failures count against the email and the address; successes do not,
 * so a clinic's shared Wi-Fi is not locked out by its own staff.
 */
export async function logIn(
  db: Db,
  input: { email: string; password: string; ip: string; previousSecret?: string | undefined },
  limits: AuthLimits,
  now: Date,
) {
  const email = input.email.trim().toLowerCase();
  const buckets = authBuckets(limits, `login:${email}`, input.ip);
  await assertWithinLimits(db, buckets, now);
  const user = await db.kysely.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  const ok = user ? await verifyPassword(user.password_hash, input.password) : await verifyAgainstDummy(input.password);
  if (!user || !ok) {
    await countHit(db, buckets, now);
    throw new DomainError('unauthenticated', 'wrong email or password');
  }
  return db.write(async (trx) => {
    // Rotate: a session id known before login is never the one after it.
    if (input.previousSecret) {
      await trx.deleteFrom('sessions').where('token_hash', '=', sha256(input.previousSecret)).execute();
    }
    const practice = await trx.selectFrom('practices').selectAll().where('id', '=', user.practice_id).executeTakeFirstOrThrow();
    const secret = await startSession(trx, { kind: 'user', practiceId: user.practice_id, userId: user.id }, now);
    return { user, practice, secret };
  });
}
