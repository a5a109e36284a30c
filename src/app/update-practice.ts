import type { Kysely } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { PracticeRow, Schema } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { DEFAULT_POLICY, type Money, type Policy } from '../domain/policy.js';
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
      const merged = patch.policy ? (mergePatch(practicePolicy(practice), patch.policy) as Partial<Policy>) : practicePolicy(practice);
      const changes = {
        name: patch.name ?? practice.name,
        slug: patch.slug ?? practice.slug,
        time_zone: patch.timeZone ?? practice.time_zone,
        currency,
        policy_json: JSON.stringify(inCurrency({ ...DEFAULT_POLICY, ...merged }, currency)),
        stripe_account_id: patch.stripeAccountId === undefined ? (practice.stripe_account_id ?? null) : patch.stripeAccountId,
      };
      await trx.updateTable('practices').set(changes).where('id', '=', practice.id).execute();
      if (currency !== practice.currency) await redenominateOverrides(trx, practice.id, currency);
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
 * Prices are stored as amounts in the practice's currency, so a change of currency carries them
 * over as they are; fees are stored with their currency, and follow the same way.
 */
function inCurrency<P extends Partial<Policy>>(policy: P, currency: string): P {
  const relabel = (fee: Money | null | undefined) => (fee ? { amount: fee.amount, currency } : fee);
  const result = { ...policy };
  if ('lateCancelFee' in result) result.lateCancelFee = relabel(result.lateCancelFee) as P['lateCancelFee'];
  if ('noShowFee' in result) result.noShowFee = relabel(result.noShowFee) as P['noShowFee'];
  return result;
}

async function redenominateOverrides(trx: Trx, practiceId: string, currency: string): Promise<void> {
  const services = await trx
    .selectFrom('services')
    .select(['id', 'policy_json'])
    .where('practice_id', '=', practiceId)
    .where('policy_json', 'is not', null)
    .execute();
  for (const service of services) {
    const override = inCurrency(JSON.parse(service.policy_json!) as Partial<Policy>, currency);
    await trx
      .updateTable('services')
      .set({ policy_json: JSON.stringify(override) })
      .where('id', '=', service.id)
      .where('practice_id', '=', practiceId)
      .execute();
  }
}
