/** The HTTP contract (shared/API.md) as the web app uses it: same-origin JSON, problem+json errors. */

import { writeKeys } from './idempotency';

export interface Money {
  amount: number;
  currency: string;
}

export type PolicyAction = 'forfeit' | 'fee' | 'none';

export interface Policy {
  windowHours: number;
  lateCancel: PolicyAction;
  noShow: PolicyAction;
  lateCancelFee: Money | null;
  noShowFee: Money | null;
  clientReschedule: boolean;
}

export interface Practice {
  id: string;
  name: string;
  slug: string;
  timeZone: string;
  currency: string;
  policy: Policy;
}

export interface User {
  id: string;
  email: string;
  name: string;
}

export type Role = 'owner' | 'practitioner' | 'assistant';

/** Someone in the practice's team. `joinedAt` null: invited, has not opened the link yet. */
export interface Member {
  id: string;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  timeZone: string;
  joinedAt: string | null;
}

/** The signed-in account, the practice it acts in (as `member`), and every practice it may switch to. */
export interface Account {
  user: User;
  practice: Practice;
  member: Member;
  practices: { id: string; name: string; slug: string; role: Role }[];
}

export interface Service {
  id: string;
  name: string;
  description: string;
  durationMinutes: number;
  creditCost: number;
  price: Money | null;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  minNoticeMinutes: number;
  maxAdvanceDays: number;
  slotStepMinutes: number;
  capacity: number;
  policy: Partial<Policy> | null;
  effectivePolicy: Policy;
  active: boolean;
}

export interface Package {
  id: string;
  name: string;
  credits: number;
  price: Money;
  validityDays: number | null;
  serviceIds: string[] | null;
  active: boolean;
}

export interface TimeRange {
  start: string;
  end: string;
}

export interface Availability {
  weekly: { weekday: number; start: string; end: string }[];
  overrides: { date: string; intervals: TimeRange[] }[];
}

export interface Credits {
  available: number;
  held: number;
  used: number;
  expired: number;
}

export interface Lot {
  id: string;
  packageId: string | null;
  packageName: string;
  granted: number;
  available: number;
  held: number;
  used: number;
  expired: number;
  expiresAt: string | null;
  serviceIds: string[] | null;
  createdAt: string;
}

export interface Client {
  id: string;
  email: string;
  name: string;
  credits: Credits;
}

/** A row of GET /clients: the balance plus what the dashboard highlights, computed by the server. */
export interface ClientSummary extends Client {
  nextSession: string | null;
  lastSession: string | null;
  /** Available credits in lots expiring within 14 days, and the first of those expiries. */
  expiringSoon: { credits: number; expiresAt: string } | null;
}

export type BookingStatus = 'confirmed' | 'cancelled' | 'late_cancelled' | 'completed' | 'no_show' | 'pending_payment';

export interface Booking {
  id: string;
  serviceId: string;
  serviceName: string;
  clientId: string;
  start: string;
  end: string;
  status: BookingStatus;
  payment: { kind: 'credits' | 'single' | 'free'; credits: number };
  /**
   * `payment_expired`: a single session whose payment did not arrive within its 30-minute hold; on the
   * practitioner's client page also the reason given (null once the client is erased).
   */
  cancelReason?: string | null;
  createdAt: string;
  /** Not in the contract yet: shown when the server says a forfeit or fee was waived, and by whom. */
  waived?: boolean;
  waivedBy?: string | null;
}

export interface Actor {
  kind: 'practitioner' | 'client' | 'system';
  id: string | null;
  /** Not in the contract; shown when the server adds it. */
  name?: string;
}

export interface LedgerEntry {
  id: string;
  lotId: string;
  bookingId: string | null;
  kind: string;
  amount: number;
  actor: Actor;
  reason: string | null;
  createdAt: string;
}

export interface Purchase {
  id: string;
  packageId: string;
  status: 'pending' | 'paid' | 'refunded' | 'failed';
  provider: 'dev' | 'manual' | 'stripe';
  amount: Money;
  refundedAmount?: Money | null;
  createdAt: string;
}

export interface PaymentSettings {
  provider: 'stripe' | 'dev' | 'manual';
  stripeAccountId: string | null;
  chargesEnabled: boolean | null;
}

/** GET /purchases/{id}/refund: what a refund would do, decided by the server. */
export interface RefundQuote {
  purchase: Purchase;
  refund: { amount: Money; credits: number };
  refundableCredits: number;
  bookingsToCancel: { id: string; start: string; credits: number }[];
}

export interface Refund {
  id: string;
  amount: Money;
  credits: number;
  status: 'pending' | 'succeeded' | 'failed';
  origin: 'practitioner' | 'dashboard' | 'automatic';
  createdAt: string;
}

export interface Fee {
  id: string;
  clientId: string;
  bookingId: string;
  amount: Money;
  status: 'owed' | 'paid' | 'waived';
  createdAt?: string;
}

export interface Cancellation {
  outcome: 'release' | 'forfeit' | 'fee' | 'none';
  credits: number;
  fee: Money | null;
  deadline: string;
}

export interface ClientDetail extends Client {
  lots: Lot[];
  bookings: Booking[];
  purchases: Purchase[];
  fees: Fee[];
  ledger: LedgerEntry[];
}

export interface PublicPage {
  practice: Pick<Practice, 'name' | 'slug' | 'timeZone' | 'currency' | 'policy'> & { description?: string; practitionerName?: string };
  services: Service[];
  packages: Package[];
}

export interface Slot {
  start: string;
  end: string;
  remaining: number;
}

export interface Me {
  client: { id: string; email: string; name: string };
  credits: Credits;
  lots: Lot[];
  coverage: { serviceId: string; available: number }[];
  fees: Fee[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
  packages?: Package[];
  singleSessionPrice?: Money | null;
  [key: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title || `Request failed (${problem.status})`);
    this.status = problem.status;
    this.code = problem.code ?? (problem.status === 0 ? 'network' : `http_${problem.status}`);
    this.problem = problem;
  }
  /** The message of one field, matched by its JSON pointer (`/email`). */
  fieldError(path: string): string | undefined {
    return this.problem.errors?.find((e) => e.path === path || e.path === `body:${path}`)?.message;
  }
}

export interface RequestOptions {
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError({ status: 0, code: 'network', title: 'Network error', detail: 'We could not reach Tallybook. Check your connection and try again.' });
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const problem = (data && typeof data === 'object' ? data : {}) as Problem;
    throw new ApiError({ ...problem, status: response.status });
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, body ?? {}, options),
  /**
   * A POST that creates or moves something, with the Idempotency-Key of this exact request (path
   * and body): sent again after a network error or a 5xx, it carries the same key, so the server
   * answers what it did the first time; after any 2xx or 4xx the same request is a new one.
   */
  postOnce: <T>(path: string, body: unknown = {}) => writeKeys.send({ path, body }, (key) => request<T>('POST', path, body, { idempotencyKey: key })),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** Every page of a collection (bounded: at most `maxPages` pages of 500). */
export async function getAll<T>(path: string, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const url: string = `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const result: Page<T> = await api.get<Page<T>>(url);
    items.push(...result.items);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return items;
}

export { newIdempotencyKey } from './idempotency';

/** What to tell a person about an error: the API's own detail, or what to do next. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'network':
        return 'We could not reach Tallybook. Check your connection and try again.';
      case 'rate_limited':
        return 'Too many attempts. Wait a few minutes, then try again.';
      case 'unauthenticated':
        return 'Your session has ended. Sign in again.';
      case 'forbidden':
        return 'Your role in this practice does not allow this. Ask an owner of the practice.';
      case 'slot_unavailable':
        return 'That time was just taken — pick another time.';
      case 'validation_failed':
        return error.problem.errors?.length
          ? `Please check: ${error.problem.errors.map((e) => `${e.path.replace(/^.*\//, '') || 'form'} ${e.message}`).join('; ')}.`
          : error.message;
      default:
        if (error.status >= 500) return 'Something went wrong on our side. Try again in a moment.';
        return error.message;
    }
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong. Try again.';
}
