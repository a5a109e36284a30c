import type { Kysely } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { PracticeRow, Schema } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { DEFAULT_POLICY, type Policy } from '../domain/policy.js';
import { isUniqueViolation } from './db-errors.js';
import { collect, currencyErrors, throwIfAny, type FieldError } from './field-errors.js';
import { mergePatch } from './merge-patch.js';
import { assertValidCurrency, assertValidSlug, assertValidTimeZone } from './sign-up.js';
import { practicePolicy } from './views.js';

type Practitioner = { practiceId: string };

/** A merge patch of a policy: `null` removes a field (the practice's default, or the service's inheritance, returns). */
export type PolicyPatch = { [K in keyof Policy]?: Policy[K] | null };

export interface PracticePatch {
  name?: string;
  slug?: string;
  timeZone?: string;
  currency?: string;
  policy?: PolicyPatch;
  /** The practice's Stripe Connect account (`acct_…`); null goes back to the install's own account. */
  stripeAccountId?: string | null;
}

/** The caller's practice; `reader` is `db.kysely` or a transaction. */
export async function getPractice(reader: Kysely<Schema>, caller: Practitioner): Promise<PracticeRow> {
  return reader.selectFrom('practices').selectAll().where('id', '=', caller.practiceId).executeTakeFirstOrThrow();
}

/** PATCH /practice: only what is sent changes; the policy merges field by field. */
export async function updatePractice(db: Db, caller: Practitioner, patch: PracticePatch): Promise<PracticeRow> {
  try {
    return await db.write(async (trx) => {
      // Catalog edits of one practice are decided one after the other, as bookings are.
      await db.lockRow(trx, 'calendars', caller.practiceId);
      const practice = await getPractice(trx, caller);
      const currency = patch.currency ?? practice.currency;
      throwIfAny(patchErrors(patch, currency));
      if (currency !== practice.currency) await assertNothingPriced(trx, practice, patch);
      const merged = patch.policy ? (mergePatch(practicePolicy(practice), patch.policy) as Partial<Policy>) : practicePolicy(practice);
      const changes = {
        name: patch.name ?? practice.name,
        slug: patch.slug ?? practice.slug,
        time_zone: patch.timeZone ?? practice.time_zone,
        currency,
        policy_json: JSON.stringify({ ...DEFAULT_POLICY, ...merged }),
        stripe_account_id: patch.stripeAccountId === undefined ? (practice.stripe_account_id ?? null) : patch.stripeAccountId,
      };
      await trx.updateTable('practices').set(changes).where('id', '=', practice.id).execute();
      return { ...practice, ...changes };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('conflict', `the slug "${patch.slug}" is taken`);
    throw error;
  }
}

/** Every invalid field at once; fees must be in the currency the practice will have. */
function patchErrors(patch: PracticePatch, currency: string): FieldError[] {
  const errors: FieldError[] = [];
  if (patch.slug !== undefined) collect(errors, () => assertValidSlug(patch.slug!));
  if (patch.timeZone !== undefined) collect(errors, () => assertValidTimeZone(patch.timeZone!));
  if (patch.currency !== undefined) collect(errors, () => assertValidCurrency(currency));
  errors.push(...currencyErrors(currency, { '/policy/lateCancelFee': patch.policy?.lateCancelFee, '/policy/noShowFee': patch.policy?.noShowFee }));
  return errors;
}

/**
 * Amounts are stored as integers in the practice's currency, and a change of currency does not
 * convert them: 2500 USD cents would become 2500 yen. So the currency changes only while nothing
 * is priced in it, except the practice's own fees when the same PATCH restates (or clears) them.
 */
async function assertNothingPriced(trx: Trx, practice: PracticeRow, patch: PracticePatch): Promise<void> {
  const exists = async (query: { executeTakeFirst(): Promise<unknown> }) => (await query.executeTakeFirst()) !== undefined;
  const id = practice.id;
  const policy = practicePolicy(practice);
  const keptFee = (field: 'lateCancelFee' | 'noShowFee') => policy[field] != null && patch.policy?.[field] === undefined;
  const overrides = await trx.selectFrom('services').select('policy_json').where('practice_id', '=', id).where('policy_json', 'is not', null).execute();
  const overrideFee = overrides.some((s) => {
    const override = JSON.parse(s.policy_json!) as Partial<Policy>;
    return override.lateCancelFee != null || override.noShowFee != null;
  });
  const priced = [
    (await exists(trx.selectFrom('services').select('id').where('practice_id', '=', id).where('price_amount', 'is not', null).limit(1))) && 'service prices',
    (await exists(trx.selectFrom('packages').select('id').where('practice_id', '=', id).limit(1))) && 'package prices',
    (await exists(trx.selectFrom('purchases').select('id').where('practice_id', '=', id).limit(1))) && 'purchases',
    (await exists(trx.selectFrom('fees').select('id').where('practice_id', '=', id).limit(1))) && 'fees',
    (keptFee('lateCancelFee') || keptFee('noShowFee') || overrideFee) && 'policy fees',
  ].filter((kind): kind is string => typeof kind === 'string');
  if (priced.length === 0) return;
  throw new DomainError(
    'conflict',
    `the currency stays ${practice.currency}: ${priced.join(', ')} are recorded in it, and changing the currency would relabel those amounts without converting them`,
  );
}
