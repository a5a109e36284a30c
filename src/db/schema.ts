import type { Generated } from 'kysely';
/**
 * Table types, identical for SQLite and PostgreSQL (the column conventions):
 * ids are text; instants are ISO-8601 UTC strings with milliseconds (they sort as text);
 * counts and money are integers in minor units; booleans are integers 0/1;
 * structured settings (a policy, service ids) are JSON text.
 * Every tenant-owned table carries practice_id.
 */
export interface Schema {
  practices: PracticeRow;
  calendars: CalendarRow;
  users: UserRow;
  members: MemberRow;
  member_invitations: MemberInvitationRow;
  sessions: SessionRow;
  api_tokens: ApiTokenRow;
  password_resets: PasswordResetRow;
  rate_limits: RateLimitRow;
  mail_outbox: MailOutboxRow;
  services: ServiceRow;
  availability: AvailabilityRow;
  packages: PackageRow;
  clients: ClientRow;
  login_codes: LoginCodeRow;
  purchases: PurchaseRow;
  lots: LotRow & LotBucketColumns;
  ledger_entries: LedgerEntryRow;
  bookings: BookingRow;
  fees: FeeRow;
  idempotency_keys: IdempotencyKeyRow;
  jobs: JobRow;
  calendar_feeds: CalendarFeedRow;
  external_calendars: ExternalCalendarRow;
  external_busy: ExternalBusyRow;
  stripe_checkouts: StripeCheckoutRow;
  stripe_events: StripeEventRow;
  refunds: RefundRow;
}

export type Bool = 0 | 1;

export interface PracticeRow {
  id: string;
  name: string;
  slug: string;
  time_zone: string;
  currency: string;
  policy_json: string;
  created_at: string;
  /** A Stripe Connect account the practice's charges go to (direct charges); null: the install's own account. */
  stripe_account_id?: string | null;
}

/** The row a booking locks so that two bookings of one practice are decided one after the other. */
export interface CalendarRow {
  id: string;
  practice_id: string;
}

/**
 * An account: one person, unique by email, who may be a member of several practices (`members`).
 * `practice_id` is the practice the account was made for (signed up with, or first invited to);
 * what the account may do anywhere is decided by its memberships only.
 */
export interface UserRow {
  id: string;
  practice_id: string;
  email: string;
  name: string;
  /** '' while the account was only invited and no password was set yet: no password matches it. */
  password_hash: string;
  created_at: string;
}

export type MemberRole = 'owner' | 'practitioner' | 'assistant';

/** An account's membership of a practice; it acts there only while active and joined. */
export interface MemberRow {
  id: string;
  practice_id: string;
  user_id: string;
  role: MemberRole;
  name: string;
  active: Bool;
  /** null: the practice's time zone. */
  time_zone: string | null;
  created_at: string;
  /** When the invitation was accepted; null until then. */
  joined_at: string | null;
}

/** A one-time invitation link (24 h) for a member; only the hash of its token is stored. */
export interface MemberInvitationRow {
  token_hash: string;
  member_id: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

export interface SessionRow {
  token_hash: string;
  kind: 'user' | 'client';
  practice_id: string;
  user_id: string | null;
  client_id: string | null;
  created_at: string;
  expires_at: string;
}

export interface ApiTokenRow {
  id: string;
  practice_id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface PasswordResetRow {
  token_hash: string;
  user_id: string;
  expires_at: string;
  used_at: string | null;
}

export interface RateLimitRow {
  bucket: string;
  window_start: string;
  count: number;
}

export interface MailOutboxRow {
  id: string;
  practice_id: string | null;
  /** The client the mail is about, whoever it is sent to (their copy and the practitioner's), so erasure finds it. */
  client_id: string | null;
  message_id: string;
  to_address: string;
  subject: string;
  text: string;
  html: string | null;
  ics: string | null;
  ics_method: string | null;
  /** `cancelled`: never to be sent (the client it is about was erased before it went out). */
  status: 'pending' | 'sent' | 'kept' | 'failed' | 'cancelled';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface ServiceRow {
  id: string;
  practice_id: string;
  name: string;
  description: string;
  duration_minutes: number;
  credit_cost: number;
  price_amount: number | null;
  buffer_before_minutes: number;
  buffer_after_minutes: number;
  min_notice_minutes: number;
  max_advance_days: number;
  slot_step_minutes: number;
  capacity: number;
  policy_json: string | null;
  active: Bool;
  created_at: string;
}

export interface AvailabilityRow {
  practice_id: string;
  weekly_json: string;
  overrides_json: string;
}

export interface PackageRow {
  id: string;
  practice_id: string;
  name: string;
  credits: number;
  price_amount: number;
  validity_days: number | null;
  service_ids_json: string | null;
  active: Bool;
  created_at: string;
}

export interface ClientRow {
  id: string;
  practice_id: string;
  email: string;
  name: string;
  /**
   * `clientSearchText(name, email)`, written with every change of name or email (`newClient`, the
   * erasure's tombstone); search and the list's order use it. Optional on insert only so that
   * fixtures writing rows directly need not know it (the column defaults to '': never found).
   */
  search_text?: string;
  created_at: string;
}

export interface LoginCodeRow {
  id: string;
  practice_id: string;
  email: string;
  /** The name given when asking for the code, used if the client is new. */
  name: string | null;
  /** `salt:sha256(salt + code)`: a six-digit code is guessable offline without its salt. */
  code_hash: string;
  attempts: number;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

export interface PurchaseRow {
  id: string;
  practice_id: string;
  client_id: string;
  package_id: string;
  status: 'pending' | 'paid' | 'refunded' | 'failed';
  provider: 'dev' | 'manual' | 'stripe';
  amount: number;
  currency: string;
  /** The provider's payment id; unique, so a payment grants one lot however often it is confirmed. */
  payment_ref: string | null;
  created_at: string;
  paid_at: string | null;
  /** Minor units refunded so far (0: none). */
  refunded_amount?: number;
}

export interface LotRow {
  id: string;
  practice_id: string;
  client_id: string;
  package_id: string | null;
  package_name: string;
  purchase_id: string | null;
  service_ids_json: string | null;
  expires_at: string | null;
  created_at: string;
}

/**
 * A lot's buckets as stored beside it: moved by appendEntries in the transaction that appends each
 * entry (0 when the lot is written), checked by verify against the sums of its entries, the truth.
 */
export interface LotBucketColumns {
  granted: Generated<number>;
  available: Generated<number>;
  held: Generated<number>;
  used: Generated<number>;
  expired: Generated<number>;
}

export interface LedgerEntryRow {
  id: string;
  practice_id: string;
  client_id: string;
  lot_id: string;
  booking_id: string | null;
  kind: 'grant' | 'hold' | 'release' | 'consume' | 'forfeit' | 'restore' | 'expire' | 'revoke' | 'adjust';
  amount: number;
  /** The entry this one resolves (a hold, or a forfeit being restored); unique, so at most once. */
  resolves_id: string | null;
  actor_kind: 'practitioner' | 'client' | 'system';
  actor_id: string | null;
  reason: string | null;
  created_at: string;
}

export interface BookingRow {
  id: string;
  practice_id: string;
  client_id: string;
  service_id: string;
  start_at: string;
  end_at: string;
  buffer_before_minutes: number;
  buffer_after_minutes: number;
  status: 'confirmed' | 'cancelled' | 'late_cancelled' | 'completed' | 'no_show' | 'pending_payment';
  payment_kind: 'credits' | 'single' | 'free';
  credits: number;
  sequence: number;
  cancel_reason: string | null;
  /** The Cancellation (outcome, credits, fee, deadline) as decided when it was cancelled, marked a no-show or completed. */
  cancellation_json?: string | null;
  created_at: string;
  updated_at: string;
}

export interface FeeRow {
  id: string;
  practice_id: string;
  client_id: string;
  booking_id: string;
  amount: number;
  currency: string;
  status: 'owed' | 'paid' | 'waived';
  reason: string | null;
  created_at: string;
  resolved_at: string | null;
}

export interface IdempotencyKeyRow {
  scope: string;
  request_hash: string;
  status_code: number;
  response_json: string;
  created_at: string;
}

export interface JobRow {
  id: string;
  kind: string;
  payload_json: string;
  /** At most one pending job per key (e.g. one reminder per booking). */
  dedupe_key: string | null;
  run_at: string;
  status: 'pending' | 'done' | 'failed';
  attempts: number;
  locked_until: string | null;
  last_error: string | null;
  /** Failures in a row of a recurring sweep (it never becomes `failed`); 0 after a success. */
  consecutive_failures: number;
  created_at: string;
}

/** A practice's secret calendar feed; the token itself is shown once and never stored. */
export interface CalendarFeedRow {
  practice_id: string;
  token_hash: string;
  created_at: string;
}

/** An ICS URL of another calendar of the practitioner, fetched periodically. */
export interface ExternalCalendarRow {
  id: string;
  practice_id: string;
  url: string;
  created_at: string;
  next_fetch_at: string;
  last_fetched_at: string | null;
  last_error: string | null;
  busy_count: number;
}

/** A busy interval of an external calendar (recurrences expanded); blocks slots. */
export interface ExternalBusyRow {
  id: string;
  practice_id: string;
  calendar_id: string;
  start_at: string;
  end_at: string;
}

/**
 * One Stripe Checkout Session we open: for a package purchase, a single session or a fee. The row
 * commits before Stripe is called (status `creating`); the session id and URL are stored after.
 */
export interface StripeCheckoutRow {
  id: string;
  practice_id: string;
  client_id: string;
  purpose: 'purchase' | 'booking' | 'fee';
  purchase_id: string | null;
  booking_id: string | null;
  fee_id: string | null;
  amount: number;
  currency: string;
  description: string;
  /** The connected account the session was opened on (the `Stripe-Account` header), or null. */
  stripe_account: string | null;
  idempotency_key: string;
  success_url: string;
  cancel_url: string;
  /** When the session expires (single sessions: the end of the slot's hold); null: Stripe's default. */
  expires_at: string | null;
  session_id: string | null;
  url: string | null;
  status: 'creating' | 'open' | 'paid' | 'expired' | 'failed';
  payment_intent: string | null;
  charge_id: string | null;
  refunded_amount: number;
  created_at: string;
  paid_at: string | null;
}

/** A Stripe event acted on; the id is unique, and is written in the transaction that acts on it. */
export interface StripeEventRow {
  id: string;
  type: string;
  practice_id: string | null;
  received_at: string;
}

/** Money returned to a client: asked for by the practitioner, made in Stripe's dashboard, or automatic. */
export interface RefundRow {
  id: string;
  practice_id: string;
  client_id: string;
  purchase_id: string | null;
  checkout_id: string | null;
  amount: number;
  currency: string;
  /** Credits revoked with it (0 for a single session or a fee). */
  credits: number;
  status: 'pending' | 'succeeded' | 'failed';
  origin: 'practitioner' | 'dashboard' | 'automatic';
  provider_ref: string | null;
  reason: string | null;
  created_at: string;
  resolved_at: string | null;
}
