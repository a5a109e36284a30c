import { IANAZone } from 'luxon';
import type { Db } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import { DEFAULT_POLICY } from '../domain/policy.js';
import { hashPassword } from './security.js';
import { newId } from '../lib/ids.js';
import { startSession } from './sessions.js';
import { isUniqueViolation } from './db-errors.js';
import { validation } from './field-errors.js';
import { accountIn } from './practitioner-account.js';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$/;
/** Paths of our own that a practice's booking page `/{slug}` must never shadow. */
export const RESERVED_SLUGS = new Set([
  'app', 'api', 'dev', 'assets', 'login', 'logout', 'signup', 'healthz', 'docs', 'static', 'public', 'me', 'admin',
  'auth', 'settings', 'reset-password', 'webhooks', 'favicon.ico', 'robots.txt', 'www', 'help', 'support', 'setup',
]);

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
  practiceName: string;
  slug: string;
  timeZone: string;
  currency?: string;
}

export function assertValidSlug(slug: string): void {
  if (!SLUG_PATTERN.test(slug)) throw validation('/slug', 'must be 3–40 characters of a-z, 0-9 and -, not starting or ending with -');
  if (RESERVED_SLUGS.has(slug)) throw validation('/slug', 'is reserved');
}

export function assertValidTimeZone(timeZone: string, path = '/timeZone'): void {
  if (!IANAZone.isValidZone(timeZone)) throw validation(path, 'is not an IANA time zone');
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
export function assertValidCurrency(currency: string, path = '/currency'): void {
  if (!CURRENCIES.has(currency)) throw validation(path, 'is not an ISO 4217 currency');
}

/**
 * Creates a user, their practice (with its calendar and empty hours), them as its owner, and a
 * session. An email that has an account with a password is 409; one that was only invited (no
 * password yet) signs up with that account, whose invitations then ask for the new password.
 */
export async function signUp(db: Db, input: SignUpInput, now: Date) {
  const email = input.email.trim().toLowerCase();
  assertValidSlug(input.slug);
  assertValidTimeZone(input.timeZone);
  const currency = input.currency ?? 'USD';
  assertValidCurrency(currency);
  const passwordHash = await hashPassword(input.password); // ~20 ms: outside the transaction

  try {
    return await db.write(async (trx) => {
      const practice = {
        id: newId(),
        name: input.practiceName,
        slug: input.slug,
        time_zone: input.timeZone,
        currency,
        policy_json: JSON.stringify(DEFAULT_POLICY),
        created_at: iso(now),
      };
      await trx.insertInto('practices').values(practice).execute();
      await trx.insertInto('calendars').values({ id: practice.id, practice_id: practice.id }).execute();
      await trx.insertInto('availability').values({ practice_id: practice.id, weekly_json: '[]', overrides_json: '[]' }).execute();
      // An account only invited so far (no password yet) is theirs: it gets the password and the new practice.
      const invited = await trx
        .updateTable('users')
        .set({ password_hash: passwordHash })
        .where('email', '=', email)
        .where('password_hash', '=', '')
        .returning('id')
        .executeTakeFirst();
      const user = invited ?? { id: newId() };
      if (!invited) {
        await trx.insertInto('users').values({ id: user.id, practice_id: practice.id, email, name: input.name, password_hash: passwordHash, created_at: iso(now) }).execute();
      }
      await trx
        .insertInto('members')
        .values({ id: newId(), practice_id: practice.id, user_id: user.id, role: 'owner', name: input.name, active: 1, time_zone: null, created_at: iso(now), joined_at: iso(now) })
        .execute();
      const secret = await startSession(trx, { kind: 'user', practiceId: practice.id, userId: user.id }, now);
      return { account: await accountIn(trx, user.id, practice.id), secret };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      const slugTaken = await db.kysely.selectFrom('practices').select('id').where('slug', '=', input.slug).executeTakeFirst();
      throw new DomainError('conflict', slugTaken ? `the slug "${input.slug}" is taken` : 'an account with this email exists');
    }
    throw error;
  }
}
