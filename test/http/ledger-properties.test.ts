import fc from 'fast-check';
import { DateTime } from 'luxon';
import { expect, it } from 'vitest';
import { findViolations } from '../../src/db/verify.js';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { setUpPractice, signInClient, slotStarts, type PracticeSetup, type SignedInClient } from '../support/scenario.js';

/*
 * Model-based property test of the credit ledger through the HTTP API (DESIGN.md "The credit
 * ledger", "Cancellation policy"). Random sequences of grants, bookings (client or practitioner,
 * a 1- and a 2-credit service), cancellations, reschedules, adjustments, no-shows, completions,
 * waivers, clock moves (+ the jobs) and catalog edits (new services with a package of their own,
 * deleting a service, changing its capacity or duration, buying packages, active or not) run
 * against a fresh practice with two clients. After every
 * step: no 5xx and only documented statuses, `findViolations` is empty, both sides see the same
 * credits, the credits equal the sum of the lots, and every lot equals an independent model of it.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FEE = { amount: 2500, currency: 'USD' };
const NUM_RUNS = Number(process.env.LEDGER_PROPERTY_RUNS ?? 15);
/** The two services a run starts with, and at most this many in all. */
const SERVICES_MAX = 5;

type Action = 'forfeit' | 'fee' | 'none';
interface Money {
  amount: number;
  currency: string;
}
interface Policy {
  windowHours: number;
  lateCancel: Action;
  noShow: Action;
  lateCancelFee: Money | null;
  noShowFee: Money | null;
  clientReschedule: boolean;
}
type Status = 'confirmed' | 'cancelled' | 'late_cancelled' | 'completed' | 'no_show';

// ---------------------------------------------------------------------------------------------
// Random actions

/**
 * An offered start (`join`: preferably one that already has seats of the service; `at`: that one,
 * if offered; `afterDays`: one at least that many days from now), or (wild) one that may not be.
 */
type Slot = { wild: false; pick: number; join?: boolean; at?: number; afterDays?: number } | { wild: true; pick: number };
type Step =
  | { kind: 'grant'; client: number; credits: number; validityDays: number | null; only: number | null }
  | { kind: 'book'; client: number; service: number; by: 'client' | 'practitioner'; slot: Slot }
  | { kind: 'cancel'; by: 'client' | 'practitioner'; intruder: boolean; target: number; applyPolicy: boolean | undefined }
  | { kind: 'reschedule'; by: 'client' | 'practitioner'; intruder: boolean; target: number; slot: Slot }
  | { kind: 'adjust'; client: number; lot: number; amount: 'all' | 'one' | 'beyond' | 'plus'; foreign: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'advanceTo'; target: number; where: 'beforeDeadline' | 'afterDeadline' | 'start' | 'during' | 'afterEnd'; then: Step | null }
  | { kind: 'settle'; how: 'no-show' | 'complete'; target: number }
  | { kind: 'waive'; target: number }
  /** The other client books a seat at the start of the booking the last step touched, if it is offered. */
  | { kind: 'join'; by: 'client' | 'practitioner' }
  | { kind: 'addService'; durationMinutes: number; capacity: number; cost: number; validityDays: number | null }
  /** `service` counts from the newest: services added during the run are the ones never booked. */
  | { kind: 'deleteService'; service: number }
  | { kind: 'capacity'; service: number; capacity: number }
  | { kind: 'duration'; service: number; durationMinutes: number }
  /** `pkg` counts from the newest (the one whose service was just deleted, perhaps). */
  | { kind: 'buy'; client: number; pkg: number };

const clientArb = fc.constantFrom(0, 1);
/** Which booking a step acts on: 0 = the one the last step touched, k = the k-th most recent. */
const targetArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }) });
const slotArb: fc.Arbitrary<Slot> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ wild: fc.constant(false as const), pick: fc.nat({ max: 200 }), join: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ wild: fc.constant(true as const), pick: fc.nat({ max: 20 }) }) },
);
const grantArb = fc.record({
  kind: fc.constant('grant' as const),
  client: clientArb,
  credits: fc.integer({ min: 1, max: 3 }),
  validityDays: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 30 })),
  only: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat({ max: 5 }) }),
});
/** A client route is called by the booking's client, or (intruder) by the other one: 404. */
const intruderArb = fc.integer({ min: 0, max: 5 }).map((n) => n === 0);
const cancelArb = fc.record({
  kind: fc.constant('cancel' as const),
  by: fc.constantFrom('client' as const, 'practitioner' as const),
  intruder: intruderArb,
  target: targetArb,
  applyPolicy: fc.constantFrom(undefined, false, true),
});
const rescheduleArb = fc.record({ kind: fc.constant('reschedule' as const), by: fc.constantFrom('client' as const, 'practitioner' as const), intruder: intruderArb, target: targetArb, slot: slotArb });
const settleArb = fc.record({ kind: fc.constant('settle' as const), how: fc.constantFrom('no-show' as const, 'complete' as const), target: targetArb });
const waiveArb = fc.record({ kind: fc.constant('waive' as const), target: targetArb });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: grantArb },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('book' as const), client: clientArb, service: fc.nat({ max: 5 }), by: fc.constantFrom('client' as const, 'practitioner' as const), slot: slotArb }),
  },
  { weight: 3, arbitrary: cancelArb },
  { weight: 2, arbitrary: rescheduleArb },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('adjust' as const),
      client: clientArb,
      lot: fc.nat({ max: 5 }),
      amount: fc.constantFrom('all' as const, 'one' as const, 'beyond' as const, 'plus' as const),
      foreign: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 1, max: 180 }).map((m) => m * MINUTE), fc.integer({ min: 1, max: 48 }).map((h) => h * HOUR), fc.integer({ min: 1, max: 5 }).map((d) => d * DAY)),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('advanceTo' as const),
      target: targetArb,
      where: fc.constantFrom('beforeDeadline' as const, 'afterDeadline' as const, 'start' as const, 'during' as const, 'afterEnd' as const),
      // Then (often) act on that booking at that moment: where the policy decides things.
      then: fc.option(
        fc.oneof(cancelArb, rescheduleArb, settleArb, waiveArb).map((s) => ({ ...s, target: 0 })),
        { nil: null, freq: 4 },
      ),
    }),
  },
  { weight: 2, arbitrary: settleArb },
  { weight: 2, arbitrary: waiveArb },
  ...catalogArbs(),
);

/** Catalog edits: what the practitioner changes while clients hold credits and bookings. */
function catalogArbs(): { weight: number; arbitrary: fc.Arbitrary<Step> }[] {
  const serviceArb = fc.nat({ max: 5 });
  return [
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('addService' as const),
        durationMinutes: fc.constantFrom(30, 60, 90),
        capacity: fc.integer({ min: 1, max: 3 }),
        cost: fc.constantFrom(1, 2),
        validityDays: fc.constantFrom(null, 3, 10),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('join' as const), by: fc.constantFrom('client' as const, 'practitioner' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteService' as const), service: serviceArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('capacity' as const), service: serviceArb, capacity: fc.integer({ min: 1, max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duration' as const), service: serviceArb, durationMinutes: fc.constantFrom(30, 45, 60, 90) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('buy' as const), client: clientArb, pkg: fc.oneof(fc.constant(0), fc.nat({ max: 6 })) }) },
  ];
}

/** A run starts with a grant or two (so bookings go through), often a group session (so seats are shared), then anything. */
const stepsArb: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.array(grantArb, { minLength: 0, maxLength: 3, size: 'max' }),
    fc.option(fc.record({ kind: fc.constant('capacity' as const), service: fc.constant(0), capacity: fc.integer({ min: 2, max: 3 }) }), { nil: null }),
    fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }),
  )
  .map(([grants, group, rest]) => [...grants, ...(group ? [group] : []), ...rest]);

const policyArb: fc.Arbitrary<Partial<Policy> | null> = fc.option(
  fc.record(
    {
      windowHours: fc.constantFrom(0, 2, 24, 48),
      lateCancel: fc.constantFrom<Action>('forfeit', 'fee', 'none'),
      noShow: fc.constantFrom<Action>('forfeit', 'fee', 'none'),
      lateCancelFee: fc.constantFrom(null, FEE),
      noShowFee: fc.constantFrom(null, FEE),
      clientReschedule: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  { nil: null },
);

// ---------------------------------------------------------------------------------------------
// The model

interface LotM {
  id: string;
  expiresAt: number | null;
  createdAt: number;
  serviceIds: string[] | null;
  granted: number;
  available: number;
  held: number;
  used: number;
  expired: number;
}
interface Draw {
  lotId: string;
  amount: number;
}
interface ServiceM {
  id: string;
  cost: number;
  /** The service's duration now; a booking keeps the length it was booked with. */
  durationMinutes: number;
  capacity: number;
  policy: Policy;
  /** Deactivated (booked, then deleted) or deleted: no new bookings. */
  active: boolean;
  deleted: boolean;
}
interface PackageM {
  id: string;
  credits: number;
  validityDays: number | null;
  serviceIds: string[] | null;
  active: boolean;
}
interface BookingM {
  id: string;
  client: number;
  service: ServiceM;
  start: number;
  end: number;
  status: Status;
  holds: Draw[];
  forfeits: (Draw & { restored: boolean })[];
  fee: 'owed' | 'waived' | null;
  /** The outcome the first cancellation answered; a repeat must answer the same. */
  cancelOutcome: unknown;
}
interface ClientM {
  who: SignedInClient;
  /** When the client's session (30 days) started; they sign in again before it runs out. */
  signedInAt: number;
  lots: LotM[];
}
interface World {
  ctx: TestContext;
  setup: PracticeSetup;
  /** The practitioner's API token (sessions run out after 30 days; the clock moves further). */
  pHeaders: Record<string, string>;
  services: ServiceM[];
  packages: PackageM[];
  clients: ClientM[];
  bookings: BookingM[];
  /** The booking the last step touched. */
  focus: BookingM | undefined;
  trace: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

function payingOrder(a: LotM, b: LotM): number {
  const ae = a.expiresAt ?? Infinity;
  const be = b.expiresAt ?? Infinity;
  if (ae !== be) return ae < be ? -1 : 1;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const covers = (lot: LotM, serviceId: string, at: number) => (lot.serviceIds === null || lot.serviceIds.includes(serviceId)) && (lot.expiresAt === null || at < lot.expiresAt);

/** DESIGN.md "Which lot pays": lots valid at the start, the one expiring first pays; may span lots. */
function chooseDraws(lots: LotM[], serviceId: string, start: number, cost: number, putBack: Draw[] = []): Draw[] | null {
  const avail = (l: LotM) => l.available + putBack.filter((h) => h.lotId === l.id).reduce((n, h) => n + h.amount, 0);
  const eligible = lots.filter((l) => avail(l) > 0 && covers(l, serviceId, start)).sort(payingOrder);
  const draws: Draw[] = [];
  let owed = cost;
  for (const lot of eligible) {
    if (owed === 0) break;
    const amount = Math.min(owed, avail(lot));
    draws.push({ lotId: lot.id, amount });
    owed -= amount;
  }
  return owed === 0 ? draws : null;
}

function lotOf(world: World, client: number, lotId: string): LotM {
  const lot = world.clients[client]!.lots.find((l) => l.id === lotId);
  if (!lot) throw new Error(`model: no lot ${lotId}`);
  return lot;
}

function hold(world: World, b: BookingM, draws: Draw[]) {
  for (const d of draws) {
    const lot = lotOf(world, b.client, d.lotId);
    lot.available -= d.amount;
    lot.held += d.amount;
  }
  b.holds = [...b.holds, ...draws];
}

function resolveHolds(world: World, b: BookingM, kind: 'release' | 'forfeit' | 'consume', now: number, expireAtOnce = true) {
  for (const h of b.holds) {
    const lot = lotOf(world, b.client, h.lotId);
    lot.held -= h.amount;
    if (kind === 'release') {
      lot.available += h.amount;
      if (expireAtOnce && lot.expiresAt !== null && lot.expiresAt <= now) {
        lot.available -= h.amount;
        lot.expired += h.amount;
      }
    } else {
      lot.used += h.amount;
      if (kind === 'forfeit') b.forfeits.push({ ...h, restored: false });
    }
  }
  b.holds = [];
}

function totals(lots: { available: number; held: number; used: number; expired: number }[]) {
  return lots.reduce((t, l) => ({ available: t.available + l.available, held: t.held + l.held, used: t.used + l.used, expired: t.expired + l.expired }), { available: 0, held: 0, used: 0, expired: 0 });
}

/** The jobs after a clock move: ended sessions are consumed, lots past their expiry lose what is available. */
function modelJobs(world: World, now: number) {
  const cutoff = now - world.ctx.config.completeAfterMinutes * MINUTE;
  for (const b of world.bookings) {
    if (b.status === 'confirmed' && b.end <= cutoff) {
      resolveHolds(world, b, 'consume', now);
      b.status = 'completed';
    }
  }
  for (const c of world.clients) {
    for (const lot of c.lots) {
      if (lot.expiresAt !== null && lot.expiresAt <= now && lot.available > 0) {
        lot.expired += lot.available;
        lot.available = 0;
      }
    }
  }
}

/** Statuses whose seats stay in the calendar (a slot keeps their shape). */
const OCCUPYING: Status[] = ['confirmed', 'completed', 'no_show'];

/** The seats of a service at a start, leaving one booking out. */
function seatsAt(world: World, service: ServiceM, start: number, except?: BookingM): BookingM[] {
  return world.bookings.filter((b) => b !== except && b.service === service && b.start === start && OCCUPYING.includes(b.status));
}

/** A seat joining seats already booked ends with them; else the session keeps `lengthMs`. */
function seatEnd(world: World, service: ServiceM, start: number, lengthMs: number, except?: BookingM): number {
  const seats = seatsAt(world, service, start, except);
  return seats.length > 0 ? Math.max(...seats.map((b) => b.end)) : start + lengthMs;
}

/** The client already has a confirmed session overlapping [start, end) (leaving one booking out). */
function clashes(world: World, client: number, start: number, end: number, except?: BookingM): boolean {
  return world.bookings.some((b) => b !== except && b.client === client && b.status === 'confirmed' && b.start < end && start < b.end);
}

/** The starts where more seats are confirmed than `capacity`, as a refused capacity cut lists them. */
function overfull(world: World, service: ServiceM, capacity: number): { start: string; booked: number }[] {
  const booked = new Map<number, number>();
  for (const b of world.bookings) if (b.service === service && b.status === 'confirmed') booked.set(b.start, (booked.get(b.start) ?? 0) + 1);
  return [...booked]
    .filter(([, n]) => n > capacity)
    .sort(([a], [b]) => a - b)
    .map(([start, n]) => ({ start: iso(start), booked: n }));
}

function deadlineOf(b: BookingM) {
  return b.start - b.service.policy.windowHours * HOUR;
}

function resolution(action: Action, fee: Money | null): { outcome: 'release' | 'forfeit' | 'fee'; fee: Money | null } {
  if (action === 'forfeit') return { outcome: 'forfeit', fee: null };
  if (action === 'fee' && fee !== null) return { outcome: 'fee', fee };
  return { outcome: 'release', fee: null };
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface Res {
  status: number;
  body: any;
}

async function call(world: World, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string>, payload?: object): Promise<Res> {
  const res = await world.ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
  const body = res.body ? res.json() : null;
  if (res.statusCode >= 500) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
  return { status: res.statusCode, body };
}

/** The response is exactly the expected status (and problem code); anything else fails with the body. */
function expectAnswer(res: Res, status: number, code?: string) {
  const got = res.status >= 400 ? `${res.status} ${res.body?.code}` : `${res.status}`;
  const want = status >= 400 ? `${status} ${code}` : `${status}`;
  if (got !== want) throw new Error(`expected ${want}, got ${got}: ${JSON.stringify(res.body)}`);
}

/** Ids, sorted: rows created in one millisecond of the test clock come in either order. */
const ids = (items: { id: string }[]) => items.map((item) => item.id).sort();

/** A 402 offers the active packages that cover the service, oldest first: never one deactivated with its last service. */
function expectOffer(world: World, res: Res, service: ServiceM) {
  expectAnswer(res, 402, 'credits_exhausted');
  const covering = world.packages.filter((k) => k.active && (k.serviceIds === null || k.serviceIds.includes(service.id)));
  expect(ids(res.body.packages), 'the 402 offers the covering active packages').toEqual(ids(covering));
}

function londonDate(ms: number) {
  return DateTime.fromMillis(ms, { zone: 'Europe/London' }).toISODate()!;
}

async function offeredStarts(world: World, service: ServiceM): Promise<number[]> {
  const now = world.ctx.clock.now().getTime();
  const starts = await slotStarts(world.ctx, world.setup.practitioner.practice.slug, service.id, londonDate(now), londonDate(now + 13 * DAY));
  return starts.map((s) => Date.parse(s));
}

/** A start for a booking: an offered slot, or (wild) one that may be taken, past or misaligned. */
async function pickStart(world: World, service: ServiceM, slot: Slot, client: number): Promise<{ start: number; offered: boolean } | null> {
  // An inactive service offers no slots (404): only wild starts remain.
  const offered = service.active ? await offeredStarts(world, service) : [];
  if (!slot.wild && slot.at !== undefined) return offered.includes(slot.at) ? { start: slot.at, offered: true } : null;
  if (!slot.wild && slot.afterDays !== undefined) {
    const later = offered.filter((start) => start >= world.ctx.clock.now().getTime() + slot.afterDays! * DAY);
    return later.length === 0 ? null : { start: later[slot.pick % later.length]!, offered: true };
  }
  if (!slot.wild && slot.join) {
    // Seats of the other client first (a client's own seat is refused to them: they have a session then).
    const joinable = offered.filter((start) => seatsAt(world, service, start).length > 0);
    const others = joinable.filter((start) => seatsAt(world, service, start).some((b) => b.client !== client));
    const from = others.length > 0 ? others : joinable;
    if (from.length > 0) return { start: from[slot.pick % from.length]!, offered: true };
  }
  if (!slot.wild && service.active) return offered.length === 0 ? null : { start: offered[slot.pick % offered.length]!, offered: true };
  const now = world.ctx.clock.now().getTime();
  const candidates = [...world.bookings.map((b) => b.start), now - DAY - (now % HOUR), ...(offered[0] === undefined ? [] : [offered[0] + 30 * MINUTE])];
  return { start: candidates[slot.pick % candidates.length]!, offered: false };
}

function pickBooking(world: World, target: number): BookingM | undefined {
  const n = world.bookings.length;
  const b = n === 0 ? undefined : target === 0 && world.focus ? world.focus : world.bookings[n - 1 - ((target - 1 + n) % n)];
  world.focus = b;
  return b;
}

function settledBody(b: BookingM, decision: { outcome: string; fee: Money | null }) {
  return { booking: expect.objectContaining({ id: b.id, status: b.status }), outcome: { outcome: decision.outcome, credits: b.service.cost, fee: decision.fee, deadline: iso(deadlineOf(b)) } };
}

// ---------------------------------------------------------------------------------------------
// One step: send it, predict the answer from the model, update the model.

async function apply(world: World, step: Step): Promise<void> {
  const { ctx } = world;
  const pHeaders = world.pHeaders;
  const now = () => ctx.clock.now().getTime();
  const log = (s: string) => world.trace.push(`[${iso(now())}] ${s}`);

  switch (step.kind) {
    case 'grant': {
      const c = world.clients[step.client]!;
      const only = step.only === null ? null : world.services[step.only % world.services.length]!;
      const serviceIds = only === null ? null : [only.id];
      const payload = { credits: step.credits, reason: 'property test', ...(step.validityDays === null ? {} : { validityDays: step.validityDays }), ...(serviceIds ? { serviceIds } : {}) };
      const res = await call(world, 'POST', `/clients/${c.who.id}/grants`, pHeaders, payload);
      // A deleted service is no service of the practice any more (a deactivated one still is).
      if (only?.deleted) {
        log(`grant ${step.credits} to c${step.client} only for the deleted ${only.id} → ${res.status} ${res.body?.code ?? ''}`);
        return expectAnswer(res, 400, 'validation_failed');
      }
      expectAnswer(res, 201);
      expect(res.body).toMatchObject({ granted: step.credits, available: step.credits, held: 0, used: 0, expired: 0, serviceIds });
      expect(res.body.expiresAt === null).toBe(step.validityDays === null);
      c.lots.push({
        id: res.body.id,
        expiresAt: res.body.expiresAt === null ? null : Date.parse(res.body.expiresAt),
        createdAt: Date.parse(res.body.createdAt),
        serviceIds,
        granted: step.credits,
        available: step.credits,
        held: 0,
        used: 0,
        expired: 0,
      });
      log(`grant ${step.credits} to c${step.client} (lot ${res.body.id}, expires ${res.body.expiresAt}, only ${step.only})`);
      return;
    }

    case 'book': {
      const c = world.clients[step.client]!;
      const service = world.services[step.service % world.services.length]!;
      const picked = await pickStart(world, service, step.slot, step.client);
      if (!picked) return;
      const res =
        step.by === 'client'
          ? await call(world, 'POST', '/me/bookings', c.who.headers, { serviceId: service.id, start: iso(picked.start) })
          : await call(world, 'POST', '/bookings', pHeaders, { clientId: c.who.id, serviceId: service.id, start: iso(picked.start) });
      log(`book s${world.services.indexOf(service)} for c${step.client} by ${step.by} at ${iso(picked.start)}${picked.offered ? '' : ' (wild)'} → ${res.status} ${res.body?.code ?? res.body?.booking?.id ?? ''}`);
      if (!service.active) return expectAnswer(res, 404, 'not_found');
      if (!picked.offered && res.status === 409 && res.body.code === 'slot_unavailable') return;
      const end = seatEnd(world, service, picked.start, service.durationMinutes * MINUTE);
      // A seat of a group slot is offered to a client who already has a session then; it is theirs to refuse.
      if (clashes(world, step.client, picked.start, end)) return expectAnswer(res, 409, 'slot_unavailable');
      const draws = chooseDraws(c.lots, service.id, picked.start, service.cost);
      if (!draws) return expectOffer(world, res, service);
      expectAnswer(res, 201);
      const b: BookingM = {
        id: res.body.booking.id,
        client: step.client,
        service,
        start: picked.start,
        // A seat of a group slot ends with the seats already there, whatever the duration says now.
        end,
        status: 'confirmed',
        holds: [],
        forfeits: [],
        fee: null,
        cancelOutcome: undefined,
      };
      hold(world, b, draws);
      world.bookings.push(b);
      world.focus = b;
      expect(res.body.booking).toMatchObject({ serviceId: service.id, clientId: c.who.id, start: iso(b.start), end: iso(b.end), status: 'confirmed', payment: { kind: 'credits', credits: service.cost } });
      // The balance after, of the lots that may pay for this service (the jobs ran at the last clock move).
      expect(res.body.credits).toEqual(totals(c.lots.filter((l) => l.serviceIds === null || l.serviceIds.includes(service.id))));
      return;
    }

    case 'cancel': {
      const b = pickBooking(world, step.target);
      if (!b) return;
      const asClient = step.by === 'client';
      const callerIndex = step.intruder ? 1 - b.client : b.client;
      const caller = world.clients[callerIndex]!;
      // The client is told the outcome first ("cancelling now uses your credit"); the same function then decides it.
      const preview = asClient ? await call(world, 'GET', `/me/bookings/${b.id}/cancellation`, caller.who.headers) : null;
      const res = asClient
        ? await call(world, 'POST', `/me/bookings/${b.id}/cancel`, caller.who.headers, {})
        : await call(world, 'POST', `/bookings/${b.id}/cancel`, pHeaders, step.applyPolicy === undefined ? {} : { applyPolicy: step.applyPolicy });
      log(`cancel ${b.id} (${b.status}, c${b.client}, s${world.services.indexOf(b.service)}, start ${iso(b.start)}) by ${asClient ? `c${callerIndex}` : `practitioner applyPolicy=${step.applyPolicy}`} → ${res.status} ${res.body?.code ?? JSON.stringify(res.body?.outcome)}`);
      if (asClient && step.intruder) {
        expectAnswer(preview!, 404, 'not_found');
        return expectAnswer(res, 404, 'not_found');
      }
      if (preview && (b.status !== 'confirmed' || now() >= b.start)) expectAnswer(preview, 409, 'booking_not_cancellable');
      if (b.status === 'cancelled' || b.status === 'late_cancelled') {
        // API.md: repeating a state change that already happened answers 200 with the stored outcome.
        expectAnswer(res, 200);
        expect(res.body.booking.status).toBe(b.status);
        expect(res.body.outcome, 'a repeated cancel answers the first cancel’s outcome').toEqual(b.cancelOutcome);
        return;
      }
      if (b.status !== 'confirmed') return expectAnswer(res, 409, 'booking_not_cancellable');
      const t = now();
      if (t >= (asClient ? b.start : b.end)) return expectAnswer(res, 409, 'booking_not_cancellable');
      const byPolicy = asClient || step.applyPolicy === true;
      const r = !byPolicy || t < deadlineOf(b) ? resolution('none', null) : resolution(b.service.policy.lateCancel, b.service.policy.lateCancelFee);
      expectAnswer(res, 200);
      resolveHolds(world, b, r.outcome === 'forfeit' ? 'forfeit' : 'release', t);
      b.status = r.outcome === 'release' ? 'cancelled' : 'late_cancelled';
      if (r.outcome === 'fee') b.fee = 'owed';
      expect(res.body).toEqual(settledBody(b, r));
      if (preview) {
        expectAnswer(preview, 200);
        expect(preview.body, 'the preview states the outcome of the cancel').toEqual(res.body.outcome);
      }
      b.cancelOutcome = res.body.outcome;
      return;
    }

    case 'reschedule': {
      const b = pickBooking(world, step.target);
      if (!b) return;
      const asClient = step.by === 'client';
      const picked = await pickStart(world, b.service, step.slot, b.client);
      if (!picked) return;
      const payload = { start: iso(picked.start) };
      const res = asClient
        ? await call(world, 'POST', `/me/bookings/${b.id}/reschedule`, world.clients[step.intruder ? 1 - b.client : b.client]!.who.headers, payload)
        : await call(world, 'POST', `/bookings/${b.id}/reschedule`, pHeaders, payload);
      log(`reschedule ${b.id} (${b.status}, c${b.client}, start ${iso(b.start)}) to ${payload.start}${picked.offered ? '' : ' (wild)'} by ${asClient ? (step.intruder ? 'the other client' : 'its client') : 'practitioner'} → ${res.status} ${res.body?.code ?? ''}`);
      if (asClient && step.intruder) return expectAnswer(res, 404, 'not_found');
      const t = now();
      if (b.status !== 'confirmed' || t >= b.start) return expectAnswer(res, 409, 'booking_not_cancellable');
      if (asClient && (!b.service.policy.clientReschedule || t >= deadlineOf(b))) return expectAnswer(res, 409, 'booking_not_reschedulable');
      if (!picked.offered && res.status === 409 && res.body.code === 'slot_unavailable') return;
      // The booking keeps its own length: after a duration edit, a start offered for the service's
      // new length may not fit it (unless it joins seats there, whose shape it then takes).
      const lengthMs = b.end - b.start;
      const joins = seatsAt(world, b.service, picked.start, b).length > 0;
      if (!joins && lengthMs !== b.service.durationMinutes * MINUTE && res.status === 409 && res.body.code === 'slot_unavailable') return;
      const end = seatEnd(world, b.service, picked.start, lengthMs, b);
      if (clashes(world, b.client, picked.start, end, b)) return expectAnswer(res, 409, 'slot_unavailable');
      // Every move pays again first-to-expire for the new start, the booking's held credits counting as available.
      const draws = chooseDraws(world.clients[b.client]!.lots, b.service.id, picked.start, b.service.cost, b.holds);
      if (!draws) return expectOffer(world, res, b.service);
      expectAnswer(res, 200);
      resolveHolds(world, b, 'release', t, false);
      hold(world, b, draws);
      b.start = picked.start;
      b.end = end;
      expect(res.body.booking).toMatchObject({ id: b.id, status: 'confirmed', start: iso(b.start), end: iso(b.end), payment: { kind: 'credits', credits: b.service.cost } });
      return;
    }

    case 'adjust': {
      const c = world.clients[step.client]!;
      if (c.lots.length === 0) return;
      const lot = c.lots[step.lot % c.lots.length]!;
      const amount = step.amount === 'plus' ? 1 + (step.lot % 3) : step.amount === 'one' ? -1 : step.amount === 'all' ? -Math.max(lot.available, 1) : -(lot.available + 1 + (step.lot % 2));
      const owner = step.foreign ? world.clients[1 - step.client]! : c;
      const res = await call(world, 'POST', `/clients/${owner.who.id}/adjustments`, pHeaders, { lotId: lot.id, amount, reason: 'property test' });
      log(`adjust lot ${lot.id} of c${step.client} (available ${lot.available}) by ${amount}${step.foreign ? ' via the other client' : ''} → ${res.status} ${res.body?.code ?? ''}`);
      // Another client's lot is not found through this client: nothing moves.
      if (step.foreign) return expectAnswer(res, 404, 'not_found');
      if (amount < 0 && -amount > lot.available) return expectAnswer(res, 409, 'conflict');
      // An expired lot takes no new credits: the practitioner grants a new lot instead.
      const now = world.ctx.clock.now().getTime();
      if (amount > 0 && lot.expiresAt !== null && lot.expiresAt <= now) return expectAnswer(res, 409, 'conflict');
      expectAnswer(res, 201);
      expect(res.body).toMatchObject({ lotId: lot.id, kind: 'adjust', amount, bookingId: null, actor: { kind: 'practitioner' } });
      lot.granted += amount;
      lot.available += amount;
      return;
    }

    case 'advance':
    case 'advanceTo': {
      let ms = step.kind === 'advance' ? step.ms : MINUTE;
      if (step.kind === 'advanceTo') {
        const b = pickBooking(world, step.target);
        if (b) {
          const to = {
            beforeDeadline: deadlineOf(b) - 30 * MINUTE,
            afterDeadline: deadlineOf(b) + MINUTE,
            start: b.start,
            during: b.start + 30 * MINUTE,
            afterEnd: b.end + ctx.config.completeAfterMinutes * MINUTE,
          }[step.where];
          ms = Math.max(MINUTE, to - now());
        }
      }
      // Every tick is at least a minute after the last, so the recurring jobs (every minute) are due.
      ctx.clock.advance(ms);
      await ctx.app.jobs.tick();
      modelJobs(world, now());
      log(`advance ${ms / MINUTE} min + jobs${step.kind === 'advanceTo' ? ` (to ${step.where} of ${world.focus?.id})` : ''}`);
      if (step.kind === 'advanceTo' && step.then) {
        // The tick may have settled the booking; the step still goes to it (the model knows).
        await checkWorld(world);
        await apply(world, step.then);
      }
      return;
    }

    case 'settle': {
      const b = pickBooking(world, step.target);
      if (!b) return;
      const res = await call(world, 'POST', `/bookings/${b.id}/${step.how}`, pHeaders, {});
      log(`${step.how} ${b.id} (${b.status}, start ${iso(b.start)}) → ${res.status} ${res.body?.code ?? JSON.stringify(res.body?.outcome)}`);
      const t = now();
      const noShow = () => resolution(b.service.policy.noShow, b.service.policy.noShowFee);
      // The same settlement again (the job's completion included) answers the stored outcome and moves nothing.
      if ((step.how === 'complete' && b.status === 'completed') || (step.how === 'no-show' && b.status === 'no_show')) {
        expectAnswer(res, 200);
        expect(res.body).toEqual(settledBody(b, step.how === 'complete' ? { outcome: 'none', fee: null } : noShow()));
        return;
      }
      if (b.status !== 'confirmed' || t < b.start) return expectAnswer(res, 409, 'conflict');
      expectAnswer(res, 200);
      if (step.how === 'complete') {
        resolveHolds(world, b, 'consume', t);
        b.status = 'completed';
        expect(res.body).toEqual(settledBody(b, { outcome: 'none', fee: null }));
        return;
      }
      const r = noShow();
      resolveHolds(world, b, r.outcome === 'forfeit' ? 'forfeit' : 'release', t);
      b.status = 'no_show';
      if (r.outcome === 'fee') b.fee = 'owed';
      expect(res.body).toEqual(settledBody(b, r));
      return;
    }

    case 'waive': {
      const b = pickBooking(world, step.target);
      if (!b) return;
      const res = await call(world, 'POST', `/bookings/${b.id}/waive`, pHeaders, { reason: 'property test' });
      log(`waive ${b.id} (${b.status}, forfeits ${JSON.stringify(b.forfeits)}, fee ${b.fee}) → ${res.status} ${res.body?.code ?? ''}`);
      const open = b.forfeits.filter((f) => !f.restored);
      if (open.length > 0) {
        expectAnswer(res, 200);
        const now = world.ctx.clock.now().getTime();
        for (const f of open) {
          const lot = lotOf(world, b.client, f.lotId);
          lot.used -= f.amount;
          // A credit restored to a lot already past its expiry expires at once, as a released one does.
          if (lot.expiresAt !== null && lot.expiresAt <= now) lot.expired += f.amount;
          else lot.available += f.amount;
          f.restored = true;
        }
        expect(res.body.entry).toMatchObject({ kind: 'restore', bookingId: b.id, lotId: open[0]!.lotId, amount: open[0]!.amount });
        return;
      }
      if (b.fee === 'owed') {
        expectAnswer(res, 200);
        b.fee = 'waived';
        expect(res.body).toMatchObject({ entry: null, fee: { bookingId: b.id, status: 'waived' } });
        return;
      }
      return expectAnswer(res, 409, 'conflict');
    }

    case 'join': {
      const b = world.focus;
      if (!b) return;
      return apply(world, { kind: 'book', client: 1 - b.client, service: world.services.indexOf(b.service), by: step.by, slot: { wild: false, pick: 0, at: b.start } });
    }

    case 'addService': {
      if (world.services.length >= SERVICES_MAX) return;
      const name = `Extra ${world.services.length}`;
      const created = await call(world, 'POST', '/services', pHeaders, { name, durationMinutes: step.durationMinutes, capacity: step.capacity, creditCost: step.cost });
      expectAnswer(created, 201);
      const service: ServiceM = { id: created.body.id, cost: step.cost, durationMinutes: step.durationMinutes, capacity: step.capacity, policy: created.body.effectivePolicy, active: true, deleted: false };
      world.services.push(service);
      // A package for this service alone: deleting the service leaves it naming none.
      const pkg = await call(world, 'POST', '/packages', pHeaders, {
        name: `${name} pack`,
        credits: 2,
        price: { amount: 5000, currency: 'USD' },
        serviceIds: [service.id],
        ...(step.validityDays === null ? {} : { validityDays: step.validityDays }),
      });
      expectAnswer(pkg, 201);
      world.packages.push({ id: pkg.body.id, credits: 2, validityDays: step.validityDays, serviceIds: [service.id], active: true });
      log(`add s${world.services.length - 1} ${service.id} (${step.durationMinutes} min, capacity ${step.capacity}, cost ${step.cost}) and its package ${pkg.body.id}`);
      return;
    }

    case 'deleteService': {
      const service = world.services[world.services.length - 1 - (step.service % world.services.length)]!;
      const booked = world.bookings.some((b) => b.service === service);
      // The first two services carry the ledger scenarios: they are only ever deactivated (once booked), not deleted.
      if (world.services.indexOf(service) < 2 && !booked) return;
      const res = await call(world, 'DELETE', `/services/${service.id}`, pHeaders);
      log(`delete s${world.services.indexOf(service)} ${service.id} → ${res.status} ${res.body?.code ?? ''}`);
      if (service.deleted) return expectAnswer(res, 404, 'not_found');
      if (booked) {
        // Bookings refer to it: kept, deactivated; the packages naming it keep it.
        expectAnswer(res, 200);
        expect(res.body).toMatchObject({ id: service.id, active: false });
        service.active = false;
        return;
      }
      expectAnswer(res, 204);
      service.deleted = true;
      service.active = false;
      for (const k of world.packages) {
        if (!k.serviceIds?.includes(service.id)) continue;
        k.serviceIds = k.serviceIds.filter((id) => id !== service.id);
        // A package left naming no service is no longer sold (review C5).
        if (k.serviceIds.length === 0) k.active = false;
      }
      return;
    }

    case 'capacity': {
      const service = world.services[step.service % world.services.length]!;
      const res = await call(world, 'PATCH', `/services/${service.id}`, pHeaders, { capacity: step.capacity });
      log(`capacity of s${world.services.indexOf(service)} ${service.capacity} → ${step.capacity}: ${res.status} ${res.body?.code ?? ''}`);
      if (service.deleted) return expectAnswer(res, 404, 'not_found');
      // A cut below the seats confirmed at a start is refused, listing those starts (review C7).
      const over = overfull(world, service, step.capacity);
      if (over.length > 0) {
        expectAnswer(res, 409, 'conflict');
        expect(res.body.slots, 'the over-full slots').toEqual(over.slice(0, 50));
        return;
      }
      expectAnswer(res, 200);
      expect(res.body.capacity).toBe(step.capacity);
      service.capacity = step.capacity;
      return;
    }

    case 'duration': {
      const service = world.services[step.service % world.services.length]!;
      const res = await call(world, 'PATCH', `/services/${service.id}`, pHeaders, { durationMinutes: step.durationMinutes });
      log(`duration of s${world.services.indexOf(service)} ${service.durationMinutes} → ${step.durationMinutes} min: ${res.status} ${res.body?.code ?? ''}`);
      if (service.deleted) return expectAnswer(res, 404, 'not_found');
      expectAnswer(res, 200);
      expect(res.body.durationMinutes).toBe(step.durationMinutes);
      // Bookings keep their own session (review S6): only new ones, at starts without seats, take it.
      service.durationMinutes = step.durationMinutes;
      return;
    }

    case 'buy': {
      const c = world.clients[step.client]!;
      const pkg = world.packages[world.packages.length - 1 - (step.pkg % world.packages.length)]!;
      const res = await call(world, 'POST', '/me/purchases', c.who.headers, { packageId: pkg.id });
      log(`c${step.client} buys ${pkg.id} (${pkg.active ? 'active' : 'inactive'}, services ${JSON.stringify(pkg.serviceIds)}) → ${res.status} ${res.body?.code ?? ''}`);
      if (!pkg.active) return expectAnswer(res, 404, 'not_found');
      expectAnswer(res, 201);
      expect(res.body.purchase).toMatchObject({ packageId: pkg.id, status: 'paid' });
      const me = await call(world, 'GET', '/me', c.who.headers);
      const fresh = me.body.lots.filter((l: { id: string }) => !c.lots.some((m) => m.id === l.id));
      expect(fresh, 'a paid purchase grants exactly one lot').toHaveLength(1);
      const lot = fresh[0];
      expect(lot).toMatchObject({ packageId: pkg.id, granted: pkg.credits, available: pkg.credits, held: 0, used: 0, expired: 0, serviceIds: pkg.serviceIds });
      expect(lot.expiresAt === null).toBe(pkg.validityDays === null);
      c.lots.push({
        id: lot.id,
        expiresAt: lot.expiresAt === null ? null : Date.parse(lot.expiresAt),
        createdAt: Date.parse(lot.createdAt),
        serviceIds: pkg.serviceIds,
        granted: pkg.credits,
        available: pkg.credits,
        held: 0,
        used: 0,
        expired: 0,
      });
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What must hold after every step

async function checkWorld(world: World): Promise<void> {
  const { ctx } = world;
  await refreshSessions(world);
  const pHeaders = world.pHeaders;
  // Reads only: run them together.
  const [violations, list, page, ...views] = await Promise.all([
    findViolations(ctx.db),
    call(world, 'GET', '/clients?limit=500', pHeaders),
    call(world, 'GET', `/public/${world.setup.practitioner.practice.slug}`, {}),
    ...world.clients.flatMap((c) => [call(world, 'GET', `/clients/${c.who.id}`, pHeaders), call(world, 'GET', '/me', c.who.headers)]),
  ]);
  expect(violations, 'findViolations').toEqual([]);
  expectAnswer(list as Res, 200);
  expectAnswer(page as Res, 200);
  const active = world.services.filter((s) => s.active);
  expect(ids((page as Res).body.services), 'the booking page lists the active services').toEqual(ids(active));
  expect(ids((page as Res).body.packages), 'the booking page sells the active packages').toEqual(ids(world.packages.filter((k) => k.active)));
  const now = ctx.clock.now().getTime();
  for (const [i, c] of world.clients.entries()) {
    const detail = views[2 * i]!;
    const me = views[2 * i + 1]!;
    expectAnswer(detail, 200);
    expectAnswer(me, 200);
    const seen = (lots: any[]) =>
      lots
        .map((l) => ({ id: l.id, expiresAt: l.expiresAt === null ? null : Date.parse(l.expiresAt), granted: l.granted, available: l.available, held: l.held, used: l.used, expired: l.expired }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    const expectedLots = seen(c.lots.map((l) => ({ ...l, expiresAt: l.expiresAt === null ? null : iso(l.expiresAt) })));
    expect(seen(detail.body.lots), `c${i}: the practitioner's lots equal the model's`).toEqual(expectedLots);
    expect(seen(me.body.lots), `c${i}: the client's lots equal the model's`).toEqual(expectedLots);
    const credits = totals(c.lots);
    expect(detail.body.credits, `c${i}: GET /clients/{id} credits = Σ lots`).toEqual(totals(detail.body.lots));
    expect(detail.body.credits, `c${i}: GET /clients/{id} credits = model`).toEqual(credits);
    expect(me.body.credits, `c${i}: GET /me credits = GET /clients/{id} credits`).toEqual(detail.body.credits);
    expect(me.body.client.credits).toEqual(detail.body.credits);
    const listed = (list as Res).body.items.find((item: { id: string }) => item.id === c.who.id);
    expect(listed?.credits, `c${i}: GET /clients credits`).toEqual(detail.body.credits);
    const byService = (a: { serviceId: string }, b: { serviceId: string }) => (a.serviceId < b.serviceId ? -1 : 1);
    expect([...me.body.coverage].sort(byService), `c${i}: coverage now`).toEqual(
      active.map((s) => ({ serviceId: s.id, available: c.lots.filter((l) => covers(l, s.id, now)).reduce((n, l) => n + l.available, 0) })).sort(byService),
    );
    const mine = world.bookings.filter((b) => b.client === i);
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect(
      detail.body.bookings.map((b: any) => ({ id: b.id, status: b.status, start: b.start, end: b.end })).sort(byId),
      `c${i}: bookings`,
    ).toEqual(mine.map((b) => ({ id: b.id, status: b.status, start: iso(b.start), end: iso(b.end) })).sort(byId));
    expect(
      detail.body.fees.map((f: any) => ({ bookingId: f.bookingId, status: f.status, amount: f.amount })).sort((a: any, b: any) => (a.bookingId < b.bookingId ? -1 : 1)),
      `c${i}: fees`,
    ).toEqual(
      mine
        .filter((b) => b.fee !== null)
        .map((b) => ({ bookingId: b.id, status: b.fee, amount: FEE }))
        .sort((a, b) => (a.bookingId < b.bookingId ? -1 : 1)),
    );
  }
}

async function newWorld(ctx: TestContext, policies: [Partial<Policy> | null, Partial<Policy> | null]): Promise<World> {
  const setup = await setUpPractice(ctx, { service: { policy: policies[0] } });
  const second = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/services',
    headers: setup.practitioner.headers,
    payload: { name: 'Double session', durationMinutes: 60, creditCost: 2, policy: policies[1] },
  });
  expect(second.statusCode).toBe(201);
  const services = await Promise.all(
    [setup.service.id, second.json().id as string].map(async (id) => {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/services/${id}`, headers: setup.practitioner.headers });
      const s = res.json();
      return { id, cost: s.creditCost as number, durationMinutes: s.durationMinutes as number, capacity: s.capacity as number, policy: s.effectivePolicy as Policy, active: true, deleted: false };
    }),
  );
  const token = await ctx.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: setup.practitioner.headers, payload: { name: 'property test' } });
  expect(token.statusCode).toBe(201);
  const clients: ClientM[] = [];
  for (let i = 0; i < 2; i++) clients.push({ who: await signInClient(ctx, setup.practitioner.practice.slug), signedInAt: ctx.clock.now().getTime(), lots: [] });
  const packages: PackageM[] = [{ id: setup.pkg.id, credits: setup.pkg.credits, validityDays: 180, serviceIds: null, active: true }];
  return { ctx, setup, pHeaders: { authorization: `Bearer ${token.json().token}` }, services, packages, clients, bookings: [], focus: undefined, trace: [] };
}

/** Client sessions last 30 days and the clock moves on: sign in again (same email, same client) when due. */
async function refreshSessions(world: World): Promise<void> {
  const now = world.ctx.clock.now().getTime();
  for (const c of world.clients) {
    if (now - c.signedInAt < 25 * DAY) continue;
    const again = await signInClient(world.ctx, world.setup.practitioner.practice.slug, c.who.email);
    expect(again.id).toBe(c.who.id);
    c.who = again;
    c.signedInAt = now;
  }
}

/**
 * Counterexamples this property found, replayed before the random runs (the clock then stands at
 * TEST_START, Monday 2026-03-02 08:00Z, so the picks are deterministic).
 *
 * 1. A repeated cancel of a booking that was rescheduled past its paying lot's expiry answered
 *    `credits: 2` for a 1-credit booking (the first cancel answered 1): the stored outcome summed
 *    every `hold` entry of the booking, including the one the reschedule had released.
 */
const REGRESSIONS: [[Partial<Policy> | null, Partial<Policy> | null], Step[]][] = [
  [
    [null, null],
    [
      { kind: 'grant', client: 0, credits: 1, validityDays: 2, only: null }, // lot A: expires Wed 2026-03-04 end of day
      { kind: 'grant', client: 0, credits: 1, validityDays: null, only: null }, // lot B: never expires
      { kind: 'book', client: 0, service: 0, by: 'client', slot: { wild: false, pick: 0 } }, // Mon 09:00, held on A
      { kind: 'reschedule', by: 'practitioner', intruder: false, target: 0, slot: { wild: false, pick: 60 } }, // Wed 11 Mar: A released, B holds
      { kind: 'cancel', by: 'practitioner', intruder: false, target: 0, applyPolicy: undefined }, // 200 release, credits 1
      { kind: 'cancel', by: 'practitioner', intruder: false, target: 0, applyPolicy: undefined }, // 200 release, credits 2 (expected 1)
    ],
  ],
];

/**
 * Catalog edits the random runs reach only now and then, replayed before them (picks are relative
 * to the clock, so they hold wherever the regressions left it).
 *
 * 1. Group seats meet a duration change and a capacity cut: the seat joining after the service
 *    became longer ends with the seat already there (review S6); a cut below the two seats is
 *    refused, listing the slot (C7); the joined seat moves with its own length, then the cut goes.
 * 2. A service with a package of its own is deleted unbooked: the package stops being sold (C5),
 *    the service is gone for bookings and grants; a booked one is only deactivated.
 * 3. A booking moved past its paying lot's expiry and back is paid by that lot again (S1), so the
 *    lasting lot still pays a session after the expiry.
 */
const CATALOG_SCENARIOS: [[Partial<Policy> | null, Partial<Policy> | null], Step[]][] = [
  [
    [null, null],
    [
      { kind: 'grant', client: 0, credits: 3, validityDays: null, only: null },
      { kind: 'grant', client: 1, credits: 3, validityDays: null, only: null },
      { kind: 'capacity', service: 0, capacity: 3 },
      { kind: 'book', client: 0, service: 0, by: 'client', slot: { wild: false, pick: 0 } }, // the first slot, 60 minutes
      { kind: 'duration', service: 0, durationMinutes: 90 },
      { kind: 'join', by: 'client' }, // c1's seat there ends after 60 minutes too
      { kind: 'capacity', service: 0, capacity: 1 }, // 409: two seats at that start
      { kind: 'reschedule', by: 'practitioner', intruder: false, target: 0, slot: { wild: false, pick: 7 } }, // c1's seat, 60 minutes, elsewhere
      { kind: 'capacity', service: 0, capacity: 1 }, // 200 once the seat moved
      { kind: 'duration', service: 0, durationMinutes: 30 },
      { kind: 'book', client: 1, service: 0, by: 'practitioner', slot: { wild: false, pick: 3 } },
    ],
  ],
  [
    [null, null],
    [
      { kind: 'grant', client: 0, credits: 2, validityDays: null, only: null },
      { kind: 'addService', durationMinutes: 30, capacity: 2, cost: 1, validityDays: null },
      { kind: 'buy', client: 0, pkg: 0 }, // its package: 201
      { kind: 'deleteService', service: 0 }, // never booked: deleted (204), its package no longer sold
      { kind: 'buy', client: 1, pkg: 0 }, // 404
      { kind: 'book', client: 0, service: 2, by: 'client', slot: { wild: false, pick: 0 } }, // 404
      { kind: 'grant', client: 1, credits: 1, validityDays: null, only: 2 }, // 400: no such service
      { kind: 'addService', durationMinutes: 90, capacity: 1, cost: 1, validityDays: 3 },
      { kind: 'book', client: 0, service: 3, by: 'client', slot: { wild: false, pick: 2 } }, // paid by the lot for every service
      { kind: 'deleteService', service: 0 }, // booked: deactivated (200); its package is still sold
      { kind: 'buy', client: 1, pkg: 0 },
      { kind: 'book', client: 1, service: 3, by: 'client', slot: { wild: false, pick: 0 } }, // 404
    ],
  ],
  [
    [null, null],
    [
      { kind: 'grant', client: 0, credits: 1, validityDays: 4, only: null }, // A: covers the next two weekdays at least
      { kind: 'grant', client: 0, credits: 1, validityDays: null, only: null }, // B: never expires
      { kind: 'book', client: 0, service: 0, by: 'client', slot: { wild: false, pick: 0 } }, // the first slot: A pays
      { kind: 'reschedule', by: 'practitioner', intruder: false, target: 0, slot: { wild: false, pick: 0, afterDays: 6 } }, // past A's expiry: B pays
      { kind: 'reschedule', by: 'practitioner', intruder: false, target: 0, slot: { wild: false, pick: 0 } }, // back: A pays again
      { kind: 'book', client: 0, service: 0, by: 'client', slot: { wild: false, pick: 0, afterDays: 6 } }, // B pays: 201
    ],
  ],
];

const EXAMPLES = [...REGRESSIONS, ...CATALOG_SCENARIOS];

/** Finally, move past every booking's completion and every lot's expiry, so the jobs settle all of it. */
function finalMove(world: World): Step {
  const now = world.ctx.clock.now().getTime();
  const ends = world.bookings.map((b) => b.end + world.ctx.config.completeAfterMinutes * MINUTE);
  const expiries = world.clients.flatMap((c) => c.lots.map((l) => l.expiresAt ?? now));
  return { kind: 'advance', ms: Math.max(now + MINUTE, ...ends, ...expiries) - now };
}

describeEachDialect(
  'the credit ledger under random use of the API',
  (ctx) => {
    it(
      `keeps every invariant, agrees on both sides and with a model, after every step (${EXAMPLES.length} examples, ${NUM_RUNS} random runs)`,
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.tuple(policyArb, policyArb), stepsArb, async (policies, steps) => {
            const world = await newWorld(ctx, policies);
            world.trace.push(`policies: ${JSON.stringify(world.services.map((s) => s.policy))}`);
            for (const step of [...steps, 'settle everything' as const]) {
              try {
                await refreshSessions(world);
                await apply(world, step === 'settle everything' ? finalMove(world) : step);
                await checkWorld(world);
              } catch (error) {
                const message = error instanceof Error ? error.message : String(error);
                throw new Error(`${message}\n-- trace:\n${world.trace.join('\n')}`, { cause: error });
              }
            }
            for (const b of world.bookings) expect(['cancelled', 'late_cancelled', 'completed', 'no_show']).toContain(b.status);
          }),
          // The examples count as runs of their own: NUM_RUNS random ones follow them.
          { numRuns: EXAMPLES.length + NUM_RUNS, interruptAfterTimeLimit: 100_000, examples: EXAMPLES },
        );
      },
      150_000,
    );
  },
  { config: { rateLimitIpPerMin: 100_000, rateLimitAccountPer15Min: 100_000 } },
);
