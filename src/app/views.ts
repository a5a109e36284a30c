import type { PackageRow, PracticeRow, ServiceRow, UserRow } from '../db/schema.js';
import { DEFAULT_POLICY, effectivePolicy, type Money, type Policy } from '../domain/policy.js';

/** Rows → the API's objects (API.md "Objects"). One place, so every route shows the same shape. */

export function money(amount: number | null, currency: string): Money | null {
  return amount === null ? null : { amount, currency };
}

export function practicePolicy(practice: Pick<PracticeRow, 'policy_json'>): Policy {
  return { ...DEFAULT_POLICY, ...(JSON.parse(practice.policy_json) as Partial<Policy>) };
}

export function practiceView(practice: PracticeRow) {
  return {
    id: practice.id,
    name: practice.name,
    slug: practice.slug,
    timeZone: practice.time_zone,
    currency: practice.currency,
    policy: practicePolicy(practice),
  };
}

export function userView(user: UserRow) {
  return { id: user.id, email: user.email, name: user.name };
}

export function serviceOverride(service: Pick<ServiceRow, 'policy_json'>): Partial<Policy> | null {
  return service.policy_json === null ? null : (JSON.parse(service.policy_json) as Partial<Policy>);
}

export function serviceView(service: ServiceRow, practice: PracticeRow) {
  const override = serviceOverride(service);
  return {
    id: service.id,
    name: service.name,
    description: service.description,
    durationMinutes: service.duration_minutes,
    creditCost: service.credit_cost,
    price: money(service.price_amount, practice.currency),
    bufferBeforeMinutes: service.buffer_before_minutes,
    bufferAfterMinutes: service.buffer_after_minutes,
    minNoticeMinutes: service.min_notice_minutes,
    maxAdvanceDays: service.max_advance_days,
    slotStepMinutes: service.slot_step_minutes,
    capacity: service.capacity,
    policy: override,
    effectivePolicy: effectivePolicy(practicePolicy(practice), override),
    active: service.active === 1,
  };
}

export function packageView(pkg: PackageRow, practice: PracticeRow) {
  return {
    id: pkg.id,
    name: pkg.name,
    credits: pkg.credits,
    price: { amount: pkg.price_amount, currency: practice.currency },
    validityDays: pkg.validity_days,
    serviceIds: pkg.service_ids_json === null ? null : (JSON.parse(pkg.service_ids_json) as string[]),
    active: pkg.active === 1,
  };
}
