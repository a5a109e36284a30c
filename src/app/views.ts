import type { BookingRow, ClientRow, FeeRow, LedgerEntryRow, PackageRow, MemberRow, PracticeRow, PurchaseRow, ServiceRow, UserRow } from '../db/schema.js';
import type { PracticeChoice } from './practitioner-account.js';
import type { Credits, LotBalance } from './balances.js';
import { slotRules } from './calendar.js';
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

/** A Member; `timeZone` is the member's own or, when unset, the practice's; `joinedAt` null: invited, not joined yet. */
export function memberView(member: MemberRow & { email: string }, practiceTimeZone: string) {
  return {
    id: member.id,
    email: member.email,
    name: member.name,
    role: member.role,
    active: member.active === 1,
    timeZone: member.time_zone ?? practiceTimeZone,
    joinedAt: member.joined_at,
  };
}

/** What every sign-in, GET /auth/session and a switch answer. */
export function accountView(account: { user: UserRow; practice: PracticeRow; member: MemberRow; practices: PracticeChoice[] }) {
  return {
    user: userView(account.user),
    practice: practiceView(account.practice),
    member: memberView({ ...account.member, email: account.user.email }, account.practice.time_zone),
    practices: account.practices,
  };
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
    creditCost: service.credit_cost,
    price: money(service.price_amount, practice.currency),
    ...slotRules(service),
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

export function lotView(lot: LotBalance) {
  return {
    id: lot.id,
    packageId: lot.package_id,
    packageName: lot.package_name,
    granted: lot.granted,
    available: lot.available,
    held: lot.held,
    used: lot.used,
    expired: lot.expired,
    expiresAt: lot.expires_at,
    serviceIds: lot.service_ids_json === null ? null : (JSON.parse(lot.service_ids_json) as string[]),
    createdAt: lot.created_at,
  };
}

export function bookingView(booking: BookingRow, serviceName: string) {
  return {
    id: booking.id,
    serviceId: booking.service_id,
    serviceName,
    clientId: booking.client_id,
    start: booking.start_at,
    end: booking.end_at,
    status: booking.status,
    payment: { kind: booking.payment_kind, credits: booking.credits },
    cancelReason: booking.cancel_reason,
    createdAt: booking.created_at,
  };
}

/** The practitioner's view of a client's booking also says why it was cancelled (a client's words stay out of the ledger). */
export function bookingWithReasonView(booking: BookingRow, serviceName: string) {
  return { ...bookingView(booking, serviceName), cancelReason: booking.cancel_reason };
}

export function ledgerEntryView(entry: LedgerEntryRow) {
  return {
    id: entry.id,
    lotId: entry.lot_id,
    bookingId: entry.booking_id,
    kind: entry.kind,
    amount: entry.amount,
    actor: { kind: entry.actor_kind, id: entry.actor_id },
    reason: entry.reason,
    createdAt: entry.created_at,
  };
}

export function purchaseView(purchase: PurchaseRow) {
  return {
    id: purchase.id,
    packageId: purchase.package_id,
    status: purchase.status,
    provider: purchase.provider,
    amount: { amount: purchase.amount, currency: purchase.currency },
    refundedAmount: purchase.refunded_amount ? { amount: purchase.refunded_amount, currency: purchase.currency } : null,
    createdAt: purchase.created_at,
  };
}

export function clientView(client: ClientRow, credits: Credits) {
  return { id: client.id, email: client.email, name: client.name, credits };
}

export function feeView(fee: FeeRow) {
  return {
    id: fee.id,
    clientId: fee.client_id,
    bookingId: fee.booking_id,
    amount: { amount: fee.amount, currency: fee.currency },
    status: fee.status,
    createdAt: fee.created_at,
  };
}
