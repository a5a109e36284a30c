import type { Db } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { reserve, type RateBucket } from './rate-limit.js';
import { verifyAgainstDummy, verifyPassword } from './security.js';
import { sha256 } from '../lib/ids.js';
import { startSession } from './sessions.js';
import { accountIn } from './practitioner-account.js';
import type { Trx } from '../db/create-db.js';

/** A sign-in acts in the practice the account joined first; the dashboard switches to the others. */
async function firstPractice(trx: Trx, userId: string): Promise<string> {
  const member = await trx
    .selectFrom('members')
    .select('practice_id')
    .where('user_id', '=', userId)
    .where('active', '=', 1)
    .where('joined_at', 'is not', null)
    .orderBy('joined_at')
    .orderBy('id')
    .executeTakeFirst();
  if (!member) throw new DomainError('forbidden', 'this account is not an active member of any practice any more');
  return member.practice_id;
}

export interface AuthLimits {
  accountPer15Min: number;
  ipPerMin: number;
}

const ACCOUNT_WINDOW_MS = 15 * 60_000;
const IP_WINDOW_MS = 60_000;
/**
 * Password failures for one account from every address together may reach this many times the
 * per-address limit: high enough that a stranger cannot lock the owner out, low enough that a
 * botnet gets a few dozen guesses per quarter hour.
 */
export const ACCOUNT_WIDE_LOGIN_FACTOR = 4;

/** Requests for one account (an email's codes or resets) and requests from one address. */
export function authBuckets(limits: AuthLimits, account: string, ip: string): RateBucket[] {
  return [
    { key: `account:${account}`, limit: limits.accountPer15Min, windowMs: ACCOUNT_WINDOW_MS },
    { key: `ip:${ip}`, limit: limits.ipPerMin, windowMs: IP_WINDOW_MS },
  ];
}

/** The strict limit is per (account, address), so failures elsewhere do not lock the owner out. */
export function loginBuckets(limits: AuthLimits, email: string, ip: string): RateBucket[] {
  return [
    { key: `login:${email}|${ip}`, limit: limits.accountPer15Min, windowMs: ACCOUNT_WINDOW_MS },
    { key: `login:${email}`, limit: limits.accountPer15Min * ACCOUNT_WIDE_LOGIN_FACTOR, windowMs: ACCOUNT_WINDOW_MS },
    { key: `ip:${ip}`, limit: limits.ipPerMin, windowMs: IP_WINDOW_MS },
  ];
}

/**
 * Password login. A slot is reserved in every bucket before the password is checked (so concurrent
 * guesses cannot all pass a half-full bucket), and given back on success: failures count against
 * the email and the address, successes do not, so a clinic's shared Wi-Fi is not locked out by its
 * own staff.
 */
export async function logIn(
  db: Db,
  input: { email: string; password: string; ip: string; previousSecret?: string | undefined },
  limits: AuthLimits,
  now: Date,
) {
  const email = input.email.trim().toLowerCase();
  const reservation = await reserve(db, loginBuckets(limits, email, input.ip), now);
  const user = await db.kysely.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  // An account only invited has no password yet: it is checked like a missing one, in the same time.
  const ok = user?.password_hash ? await verifyPassword(user.password_hash, input.password) : await verifyAgainstDummy(input.password);
  if (!user || !ok) throw new DomainError('unauthenticated', 'wrong email or password');
  await reservation.release();
  return db.write(async (trx) => {
    // Rotate: a session id known before login is never the one after it.
    if (input.previousSecret) {
      await trx.deleteFrom('sessions').where('token_hash', '=', sha256(input.previousSecret)).execute();
    }
    const practiceId = await firstPractice(trx, user.id);
    const secret = await startSession(trx, { kind: 'user', practiceId, userId: user.id }, now);
    return { account: await accountIn(trx, user.id, practiceId), secret };
  });
}
