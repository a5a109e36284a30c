import type { Kysely } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { PackageRow, PracticeRow, Schema } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import type { Money } from '../domain/policy.js';
import { currencyErrors, throwIfAny, type FieldError } from './field-errors.js';
import { paginate, type Page, type PageRequest } from './pagination.js';
import { newId } from '../lib/ids.js';
import { getPractice } from './update-practice.js';

export const PACKAGE_CREDITS_MIN = 1;
export const PACKAGE_CREDITS_MAX = 1_000;
export const VALIDITY_DAYS_MIN = 1;
/** Ten years. */
export const VALIDITY_DAYS_MAX = 3_660;
export const PACKAGE_SERVICES_MAX = 100;

type Practitioner = { practiceId: string };

export interface PackageInput {
  name: string;
  credits: number;
  price: Money;
  /** null: never expires. */
  validityDays?: number | null;
  /** null: every service. */
  serviceIds?: string[] | null;
  active?: boolean;
}

export type PackagePatch = Partial<PackageInput>;

export interface PackageResult {
  pkg: PackageRow;
  practice: PracticeRow;
}

export async function listPackages(db: Db, caller: Practitioner, page: PageRequest): Promise<Page<PackageRow> & { practice: PracticeRow }> {
  const practice = await getPractice(db.kysely, caller);
  const result = await paginate(db.kysely.selectFrom('packages').selectAll().where('practice_id', '=', caller.practiceId), page);
  return { ...result, practice };
}

export async function getPackage(db: Db, caller: Practitioner, id: string): Promise<PackageResult> {
  return { pkg: await findPackage(db.kysely, caller, id), practice: await getPractice(db.kysely, caller) };
}

export async function createPackage(db: Db, caller: Practitioner, input: PackageInput, now: Date): Promise<PackageResult> {
  return db.write(async (trx) => {
    const practice = await lockedPractice(db, trx, caller);
    throwIfAny(await inputErrors(trx, practice, input));
    const pkg: PackageRow = {
      id: newId(),
      practice_id: practice.id,
      name: input.name,
      credits: input.credits,
      price_amount: input.price.amount,
      validity_days: input.validityDays ?? null,
      service_ids_json: input.serviceIds ? JSON.stringify(input.serviceIds) : null,
      active: input.active === false ? 0 : 1,
      created_at: iso(now),
    };
    await trx.insertInto('packages').values(pkg).execute();
    return { pkg, practice };
  });
}

/** PATCH: only what is sent changes; `validityDays: null` never expires, `serviceIds: null` covers every service. */
export async function updatePackage(db: Db, caller: Practitioner, id: string, patch: PackagePatch): Promise<PackageResult> {
  return db.write(async (trx) => {
    const practice = await lockedPractice(db, trx, caller);
    const current = await findPackage(trx, caller, id);
    throwIfAny(await inputErrors(trx, practice, patch));
    const changes: Partial<PackageRow> = {};
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.credits !== undefined) changes.credits = patch.credits;
    if (patch.price !== undefined) changes.price_amount = patch.price.amount;
    if (patch.validityDays !== undefined) changes.validity_days = patch.validityDays;
    if (patch.serviceIds !== undefined) changes.service_ids_json = patch.serviceIds === null ? null : JSON.stringify(patch.serviceIds);
    if (patch.active !== undefined) changes.active = patch.active ? 1 : 0;
    const after = { ...current, ...changes };
    if (after.active === 1 && after.service_ids_json === '[]') {
      throw new DomainError('conflict', 'this package names no service (its last one was deleted): send serviceIds, or null for every service, to sell it again');
    }
    if (Object.keys(changes).length > 0) {
      await trx.updateTable('packages').set(changes).where('id', '=', id).where('practice_id', '=', practice.id).execute();
    }
    return { pkg: after, practice };
  });
}

async function findPackage(reader: Kysely<Schema>, caller: Practitioner, id: string): Promise<PackageRow> {
  const pkg = await reader.selectFrom('packages').selectAll().where('id', '=', id).where('practice_id', '=', caller.practiceId).executeTakeFirst();
  if (!pkg) throw new DomainError('not_found', 'no such package');
  return pkg;
}

async function lockedPractice(db: Db, trx: Trx, caller: Practitioner): Promise<PracticeRow> {
  await db.lockRow(trx, 'calendars', caller.practiceId);
  return getPractice(trx, caller);
}

/** The price is in the practice's currency; every service named is one of the practice's. */
async function inputErrors(trx: Trx, practice: PracticeRow, input: PackagePatch): Promise<FieldError[]> {
  const errors = currencyErrors(practice.currency, { '/price': input.price });
  const serviceIds = input.serviceIds ?? [];
  if (serviceIds.length === 0) return errors;
  const known = await trx.selectFrom('services').select('id').where('practice_id', '=', practice.id).where('id', 'in', serviceIds).execute();
  const knownIds = new Set(known.map((s) => s.id));
  serviceIds.forEach((serviceId, index) => {
    if (!knownIds.has(serviceId)) errors.push({ path: `/serviceIds/${index}`, message: 'is not a service of this practice' });
  });
  return errors;
}
