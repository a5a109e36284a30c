import type { Kysely } from 'kysely';
import type { Db, Trx } from '../db/create-db.js';
import type { PracticeRow, Schema, ServiceRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import type { Money } from '../domain/policy.js';
import { currencyErrors, throwIfAny } from './field-errors.js';
import { mergePatch } from './merge-patch.js';
import { paginate, type Page, type PageRequest } from './pagination.js';
import { newId } from '../lib/ids.js';
import { getPractice, type PolicyPatch } from './update-practice.js';
import { serviceOverride } from './views.js';

export { BUFFER_MINUTES_MAX, DURATION_MINUTES_MAX, DURATION_MINUTES_MIN } from '../domain/slots.js';
/** 0 makes a free service. */
export const CREDIT_COST_MAX = 1_000;
/** 30 days. */
export const MIN_NOTICE_MINUTES_MAX = 43_200;
export const MAX_ADVANCE_DAYS_MIN = 1;
export const MAX_ADVANCE_DAYS_MAX = 730;
export const SLOT_STEP_MINUTES_MIN = 5;
export const SLOT_STEP_MINUTES_MAX = 720;
export const CAPACITY_MAX = 1_000;
/** How many over-full slots a refused capacity cut lists. */
export const OVERFULL_SLOTS_LISTED_MAX = 50;

type Practitioner = { practiceId: string };

export interface ServiceInput {
  name: string;
  durationMinutes: number;
  description?: string;
  creditCost?: number;
  /** Money, or null: not sold as a single session. */
  price?: Money | null;
  bufferBeforeMinutes?: number;
  bufferAfterMinutes?: number;
  minNoticeMinutes?: number;
  maxAdvanceDays?: number;
  /** Defaults to the duration. */
  slotStepMinutes?: number;
  capacity?: number;
  /** An override of the practice's policy, or null: inherit it. A null field inside inherits that field. */
  policy?: PolicyPatch | null;
  active?: boolean;
}

export type ServicePatch = Partial<ServiceInput>;

export interface ServiceResult {
  service: ServiceRow;
  practice: PracticeRow;
}

export async function listServices(db: Db, caller: Practitioner, page: PageRequest): Promise<Page<ServiceRow> & { practice: PracticeRow }> {
  const practice = await getPractice(db.kysely, caller);
  const result = await paginate(db.kysely.selectFrom('services').selectAll().where('practice_id', '=', caller.practiceId), page);
  return { ...result, practice };
}

export async function getService(db: Db, caller: Practitioner, id: string): Promise<ServiceResult> {
  return { service: await findService(db.kysely, caller, id), practice: await getPractice(db.kysely, caller) };
}

export async function createService(db: Db, caller: Practitioner, input: ServiceInput, now: Date): Promise<ServiceResult> {
  return db.write(async (trx) => {
    const practice = await lockedPractice(db, trx, caller);
    throwIfAny(moneyErrors(practice, input));
    const service: ServiceRow = {
      id: newId(),
      practice_id: practice.id,
      name: input.name,
      description: input.description ?? '',
      duration_minutes: input.durationMinutes,
      credit_cost: input.creditCost ?? 1,
      price_amount: input.price?.amount ?? null,
      buffer_before_minutes: input.bufferBeforeMinutes ?? 0,
      buffer_after_minutes: input.bufferAfterMinutes ?? 0,
      min_notice_minutes: input.minNoticeMinutes ?? 0,
      max_advance_days: input.maxAdvanceDays ?? 60,
      slot_step_minutes: input.slotStepMinutes ?? input.durationMinutes,
      capacity: input.capacity ?? 1,
      policy_json: input.policy ? JSON.stringify(mergePatch({}, input.policy)) : null,
      active: input.active === false ? 0 : 1,
      created_at: iso(now),
    };
    await trx.insertInto('services').values(service).execute();
    return { service, practice };
  });
}

/** PATCH: only what is sent changes; `policy` merges into the override field by field, `null` clears. */
export async function updateService(db: Db, caller: Practitioner, id: string, patch: ServicePatch): Promise<ServiceResult> {
  return db.write(async (trx) => {
    const practice = await lockedPractice(db, trx, caller);
    const current = await findService(trx, caller, id);
    throwIfAny(moneyErrors(practice, patch));
    if (patch.capacity !== undefined && patch.capacity < current.capacity) await assertSeatsFit(trx, current, patch.capacity);
    const changes = serviceChanges(current, patch);
    if (Object.keys(changes).length > 0) {
      await trx.updateTable('services').set(changes).where('id', '=', id).where('practice_id', '=', practice.id).execute();
    }
    return { service: { ...current, ...changes }, practice };
  });
}

/** A service that bookings refer to is kept, deactivated; one never booked is deleted. */
export async function deleteService(db: Db, caller: Practitioner, id: string): Promise<ServiceResult | { deleted: true }> {
  return db.write(async (trx) => {
    // Bookings lock the calendar too: none can start referring to the service while we decide.
    const practice = await lockedPractice(db, trx, caller);
    const service = await findService(trx, caller, id);
    const booked = await trx
      .selectFrom('bookings')
      .select('id')
      .where('practice_id', '=', practice.id)
      .where('service_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    if (booked) {
      await trx.updateTable('services').set({ active: 0 }).where('id', '=', id).where('practice_id', '=', practice.id).execute();
      return { service: { ...service, active: 0 as const }, practice };
    }
    await forgetInPackages(trx, practice.id, id);
    await trx.deleteFrom('services').where('id', '=', id).where('practice_id', '=', practice.id).execute();
    return { deleted: true as const };
  });
}

/**
 * A capacity cut may not leave a slot with more seats than the service then has. Called under the
 * calendar lock, which every booking takes too, so no seat can be added between check and change.
 * Seats that still hold their slot count: confirmed ones and those awaiting payment.
 */
async function assertSeatsFit(trx: Trx, service: ServiceRow, capacity: number): Promise<void> {
  const overfull = trx
    .selectFrom('bookings')
    .select('start_at')
    .select((eb) => eb.fn.countAll<number>().as('booked'))
    .where('practice_id', '=', service.practice_id)
    .where('service_id', '=', service.id)
    .where('status', 'in', ['confirmed', 'pending_payment'])
    .groupBy('start_at')
    .having((eb) => eb.fn.countAll(), '>', capacity);
  const slots = await overfull.orderBy('start_at').limit(OVERFULL_SLOTS_LISTED_MAX).execute();
  if (slots.length === 0) return;
  const summary = await trx
    .selectFrom(overfull.as('o'))
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.max('o.booked').as('most')])
    .executeTakeFirstOrThrow();
  const count = Number(summary.count);
  throw new DomainError(
    'conflict',
    `${count} slot(s) already have more than ${capacity} seat(s) booked${count > slots.length ? ` (the first ${slots.length} are listed)` : ''}: ` +
      `keep the capacity at least ${Number(summary.most)}, or cancel or move those bookings first`,
    { slots: slots.map((s) => ({ start: s.start_at, booked: Number(s.booked) })) },
  );
}

async function findService(reader: Kysely<Schema>, caller: Practitioner, id: string): Promise<ServiceRow> {
  const service = await reader.selectFrom('services').selectAll().where('id', '=', id).where('practice_id', '=', caller.practiceId).executeTakeFirst();
  if (!service) throw new DomainError('not_found', 'no such service');
  return service;
}

/** Catalog edits of one practice are decided one after the other, as bookings are (the calendar row). */
async function lockedPractice(db: Db, trx: Trx, caller: Practitioner): Promise<PracticeRow> {
  await db.lockRow(trx, 'calendars', caller.practiceId);
  return getPractice(trx, caller);
}

function moneyErrors(practice: PracticeRow, input: ServicePatch) {
  return currencyErrors(practice.currency, {
    '/price': input.price,
    '/policy/lateCancelFee': input.policy?.lateCancelFee,
    '/policy/noShowFee': input.policy?.noShowFee,
  });
}

function serviceChanges(current: ServiceRow, patch: ServicePatch): Partial<ServiceRow> {
  const changes: Partial<ServiceRow> = {};
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.description !== undefined) changes.description = patch.description;
  if (patch.durationMinutes !== undefined) changes.duration_minutes = patch.durationMinutes;
  if (patch.creditCost !== undefined) changes.credit_cost = patch.creditCost;
  if (patch.price !== undefined) changes.price_amount = patch.price?.amount ?? null;
  if (patch.bufferBeforeMinutes !== undefined) changes.buffer_before_minutes = patch.bufferBeforeMinutes;
  if (patch.bufferAfterMinutes !== undefined) changes.buffer_after_minutes = patch.bufferAfterMinutes;
  if (patch.minNoticeMinutes !== undefined) changes.min_notice_minutes = patch.minNoticeMinutes;
  if (patch.maxAdvanceDays !== undefined) changes.max_advance_days = patch.maxAdvanceDays;
  if (patch.slotStepMinutes !== undefined) changes.slot_step_minutes = patch.slotStepMinutes;
  if (patch.capacity !== undefined) changes.capacity = patch.capacity;
  if (patch.active !== undefined) changes.active = patch.active ? 1 : 0;
  if (patch.policy === null) changes.policy_json = null;
  else if (patch.policy !== undefined) changes.policy_json = JSON.stringify(mergePatch(serviceOverride(current) ?? {}, patch.policy));
  return changes;
}

/**
 * A deleted service leaves the packages that named it: their lists keep naming only services that
 * exist. A package left naming none would sell credits nothing can spend, so it stops being sold.
 */
async function forgetInPackages(trx: Trx, practiceId: string, serviceId: string): Promise<void> {
  const packages = await trx
    .selectFrom('packages')
    .select(['id', 'service_ids_json'])
    .where('practice_id', '=', practiceId)
    .where('service_ids_json', 'like', `%${JSON.stringify(serviceId)}%`)
    .execute();
  for (const pkg of packages) {
    const serviceIds = (JSON.parse(pkg.service_ids_json!) as string[]).filter((s) => s !== serviceId);
    const changes = serviceIds.length === 0 ? { service_ids_json: '[]', active: 0 as const } : { service_ids_json: JSON.stringify(serviceIds) };
    await trx.updateTable('packages').set(changes).where('id', '=', pkg.id).execute();
  }
}
