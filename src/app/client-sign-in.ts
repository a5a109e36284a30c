import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/create-db.js';
import type { ClientRow, PracticeRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso, MINUTE_MS } from '../domain/instants.js';
import { enqueueMail } from '../mail/outbox.js';
import { newClient } from './clients.js';
import { authBuckets, type AuthLimits } from './log-in.js';
import { reserve, type RateBucket } from './rate-limit.js';
import { newId, sixDigitCode } from '../lib/ids.js';
import { startSession } from './sessions.js';

export const LOGIN_CODE_TTL_MS = 10 * MINUTE_MS;
export const LOGIN_CODE_ATTEMPTS_MAX = 5;

export async function practiceBySlug(db: Db, slug: string): Promise<PracticeRow> {
  const practice = await db.kysely.selectFrom('practices').selectAll().where('slug', '=', slug).executeTakeFirst();
  if (!practice) throw new DomainError('not_found', `no practice "${slug}"`);
  return practice;
}

/** Mails a six-digit sign-in code, valid 10 minutes; every request counts against the email and the IP. */
export async function requestLoginCode(
  db: Db,
  input: { slug: string; email: string; name?: string | undefined; ip: string },
  limits: AuthLimits,
  now: Date,
): Promise<void> {
  const practice = await practiceBySlug(db, input.slug);
  const email = input.email.trim().toLowerCase();
  await reserve(db, authBuckets(limits, `code:${practice.id}:${email}`, input.ip), now);
  const code = sixDigitCode();
  const salt = randomBytes(16).toString('hex');
  await db.write(async (trx) => {
    await trx
      .insertInto('login_codes')
      .values({
        id: newId(),
        practice_id: practice.id,
        email,
        name: input.name ?? null,
        code_hash: `${salt}:${hashCode(salt, code)}`,
        attempts: 0,
        expires_at: iso(now.getTime() + LOGIN_CODE_TTL_MS),
        used_at: null,
        created_at: iso(now),
      })
      .execute();
    await enqueueMail(
      trx,
      {
        practiceId: practice.id,
        to: email,
        subject: `Your ${practice.name} sign-in code: ${code}`,
        text: `Your sign-in code for ${practice.name} is ${code}. It works for 10 minutes.\n\nIf you did not ask for it, ignore this mail.`,
      },
      now,
    );
  });
}

/**
 * Checks a code against the newest unused one for the email (5 attempts, 10 minutes), then finds or
 * creates the client and starts a client session. An attempt is counted by the same statement that
 * checks one is left, so concurrent guesses cannot all read "0 attempts so far".
 */
export async function verifyLoginCode(db: Db, input: { slug: string; email: string; code: string; ip: string }, limits: AuthLimits, now: Date) {
  const practice = await practiceBySlug(db, input.slug);
  const email = input.email.trim().toLowerCase();
  const reservation = await reserve(db, verifyBuckets(limits, practice.id, email, input.ip), now);
  const attempt = await db.write((trx) =>
    trx
      .updateTable('login_codes')
      .set({ attempts: sql`attempts + 1` })
      .where('id', '=', (eb) =>
        eb
          .selectFrom('login_codes')
          .select('id')
          .where('practice_id', '=', practice.id)
          .where('email', '=', email)
          .where('used_at', 'is', null)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1),
      )
      .where('attempts', '<', LOGIN_CODE_ATTEMPTS_MAX)
      .where('expires_at', '>', iso(now))
      .returning(['id', 'code_hash', 'name'])
      .executeTakeFirst(),
  );
  if (!attempt || !codeMatches(attempt.code_hash, input.code)) {
    throw new DomainError('unauthenticated', 'that code is wrong or has expired; ask for a new one');
  }
  const signedIn = await db.write(async (trx) => {
    const claimed = await trx
      .updateTable('login_codes')
      .set({ used_at: iso(now) })
      .where('id', '=', attempt.id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new DomainError('unauthenticated', 'that code was already used');
    let client: ClientRow | undefined = await trx.selectFrom('clients').selectAll().where('practice_id', '=', practice.id).where('email', '=', email).executeTakeFirst();
    if (!client) {
      client = newClient(practice.id, email, attempt.name?.trim() || email.split('@')[0]!, now);
      await trx.insertInto('clients').values(client).execute();
    }
    const secret = await startSession(trx, { kind: 'client', practiceId: practice.id, clientId: client.id }, now);
    return { client, secret };
  });
  await reservation.release();
  return signedIn;
}

/**
 * Wrong codes per address, and per email from every address: an email may burn every code it can
 * ask for (5 attempts each), no more, however many addresses guess.
 */
function verifyBuckets(limits: AuthLimits, practiceId: string, email: string, ip: string): RateBucket[] {
  const [account, address] = authBuckets(limits, `verify:${practiceId}:${email}`, ip) as [RateBucket, RateBucket];
  return [{ ...account, limit: account.limit * LOGIN_CODE_ATTEMPTS_MAX }, address];
}

function hashCode(salt: string, code: string): string {
  return createHash('sha256').update(`${salt}${code}`).digest('hex');
}

function codeMatches(stored: string, code: string): boolean {
  const [salt, expected] = stored.split(':') as [string, string];
  return timingSafeEqual(Buffer.from(hashCode(salt, code)), Buffer.from(expected));
}
