import { Type } from 'typebox';
import { Email, Id, Instant, LocalDate, Money, Name, Nullable, TEXT_LENGTH_MAX, WallTime } from './schemas.js';

/** The API's objects (API.md "Objects") as response schemas, and the inputs that build them. */

const PolicyAction = Type.Union([Type.Literal('forfeit'), Type.Literal('fee'), Type.Literal('none')]);
export const WINDOW_HOURS_MAX = 720;

export const Policy = Type.Object({
  windowHours: Type.Integer(),
  lateCancel: PolicyAction,
  noShow: PolicyAction,
  lateCancelFee: Nullable(Money),
  noShowFee: Nullable(Money),
  clientReschedule: Type.Boolean(),
  /** Refuse new bookings while the client owes a fee (a late-cancel or no-show fee). */
  blockBookingWhileFeeOwed: Type.Boolean(),
});

/** Every field optional: a PATCH of the practice's policy, or a service's override. */
export const PolicyInput = Type.Object(
  {
    windowHours: Type.Optional(Type.Integer({ minimum: 0, maximum: WINDOW_HOURS_MAX })),
    lateCancel: Type.Optional(PolicyAction),
    noShow: Type.Optional(PolicyAction),
    lateCancelFee: Type.Optional(Nullable(Money)),
    noShowFee: Type.Optional(Nullable(Money)),
    clientReschedule: Type.Optional(Type.Boolean()),
    blockBookingWhileFeeOwed: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A service's override of the practice's policy: any subset of its fields. */
export const PolicyOverride = Type.Partial(Policy);

export const Practice = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  timeZone: Type.String(),
  currency: Type.String(),
  policy: Policy,
});

export const User = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() });

export const Role = Type.Union([Type.Literal('owner'), Type.Literal('practitioner'), Type.Literal('assistant')]);

export const Member = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Role,
  active: Type.Boolean(),
  /** The member's time zone: the practice's unless set. */
  timeZone: Type.String(),
  /** When the invitation was accepted; null: invited, not joined yet. */
  joinedAt: Nullable(Type.String()),
});

/** The signed-in account, the practice it acts in, as which member, and every practice it may switch to. */
export const Account = Type.Object({
  user: User,
  practice: Practice,
  member: Member,
  practices: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), slug: Type.String(), role: Role })),
});

export const Service = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  durationMinutes: Type.Integer(),
  creditCost: Type.Integer(),
  price: Nullable(Money),
  bufferBeforeMinutes: Type.Integer(),
  bufferAfterMinutes: Type.Integer(),
  minNoticeMinutes: Type.Integer(),
  maxAdvanceDays: Type.Integer(),
  slotStepMinutes: Type.Integer(),
  capacity: Type.Integer(),
  policy: Nullable(PolicyOverride),
  effectivePolicy: Policy,
  active: Type.Boolean(),
});

export const Package = Type.Object({
  id: Type.String(),
  name: Type.String(),
  credits: Type.Integer(),
  price: Money,
  validityDays: Nullable(Type.Integer()),
  serviceIds: Nullable(Type.Array(Type.String())),
  active: Type.Boolean(),
});

export const TimeRange = Type.Object({ start: WallTime, end: WallTime }, { additionalProperties: false });
export const AVAILABILITY_WEEKLY_MAX = 7 * 24;
export const AVAILABILITY_OVERRIDES_MAX = 400;
export const Availability = Type.Object(
  {
    weekly: Type.Array(
      Type.Object({ weekday: Type.Integer({ minimum: 1, maximum: 7 }), start: WallTime, end: WallTime }, { additionalProperties: false }),
      { maxItems: AVAILABILITY_WEEKLY_MAX },
    ),
    overrides: Type.Array(
      Type.Object({ date: LocalDate, intervals: Type.Array(TimeRange, { maxItems: 24 }) }, { additionalProperties: false }),
      { maxItems: AVAILABILITY_OVERRIDES_MAX },
    ),
  },
  { additionalProperties: false },
);

export const Credits = Type.Object({ available: Type.Integer(), held: Type.Integer(), used: Type.Integer(), expired: Type.Integer() });

export const Lot = Type.Object({
  id: Type.String(),
  packageId: Nullable(Type.String()),
  packageName: Type.String(),
  granted: Type.Integer(),
  available: Type.Integer(),
  held: Type.Integer(),
  used: Type.Integer(),
  expired: Type.Integer(),
  expiresAt: Nullable(Type.String()),
  serviceIds: Nullable(Type.Array(Type.String())),
  createdAt: Type.String(),
});

export const Client = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), credits: Credits });

export const BookingStatus = Type.Union(
  ['confirmed', 'cancelled', 'late_cancelled', 'completed', 'no_show', 'pending_payment'].map((s) => Type.Literal(s)),
);
export const Booking = Type.Object({
  id: Type.String(),
  serviceId: Type.String(),
  serviceName: Type.String(),
  clientId: Type.String(),
  start: Type.String(),
  end: Type.String(),
  status: Type.String(),
  payment: Type.Object({ kind: Type.String(), credits: Type.Integer() }),
  /** Why it was cancelled: the reason given, or `payment_expired` when a single session's payment did not arrive in time. */
  cancelReason: Nullable(Type.String()),
  createdAt: Type.String(),
});

/** A booking on the practitioner's client page: with the reason given when it was cancelled (null once the client is erased). */
export const BookingWithReason = Type.Object({ ...Booking.properties, cancelReason: Nullable(Type.String()) });

export const LedgerEntry = Type.Object({
  id: Type.String(),
  lotId: Type.String(),
  bookingId: Nullable(Type.String()),
  kind: Type.String(),
  amount: Type.Integer(),
  actor: Type.Object({ kind: Type.String(), id: Nullable(Type.String()) }),
  reason: Nullable(Type.String()),
  createdAt: Type.String(),
});

export const Purchase = Type.Object({
  id: Type.String(),
  packageId: Type.String(),
  status: Type.String(),
  provider: Type.String(),
  amount: Money,
  refundedAmount: Nullable(Money),
  createdAt: Type.String(),
});

export const Cancellation = Type.Object({
  outcome: Type.String(),
  credits: Type.Integer(),
  fee: Nullable(Money),
  deadline: Type.String(),
});

export const Fee = Type.Object({
  id: Type.String(),
  clientId: Type.String(),
  bookingId: Type.String(),
  amount: Money,
  status: Type.String(),
  createdAt: Type.String(),
});

export { Email, Id, Instant, Name, TEXT_LENGTH_MAX };
