/**
 * The mail a use case causes, written into the outbox in the use case's own transaction (so it is
 * sent after commit, at least once, and never for a change that rolled back), and the jobs that
 * send mail later (reminders, expiry warnings), scheduled in the same transaction.
 */
import type { Config } from '../config.js';
import type { Db, Trx } from '../db/create-db.js';
import type { BookingRow, FeeRow, LotRow, PracticeRow, PurchaseRow, ServiceRow } from '../db/schema.js';
import { DAY_MS, HOUR_MS } from '../domain/instants.js';
import { enqueueJob } from './schedule-job.js';
import type { MailContent } from '../mail/format.js';
import { bookingInvite, type CalendarEvent, type Person } from '../mail/ics.js';
import { enqueueMail, enqueueMails } from '../mail/outbox.js';
import * as templates from '../mail/templates.js';
import type { CancellationFacts, Links, SessionFacts } from '../mail/templates.js';
import { clientLots, type Credits } from './balances.js';

/** What the mail of a use case needs from the configuration. */
export type MailSettings = Pick<Config, 'publicUrl' | 'reminderHours'>;

export const REMINDER_JOB = 'booking-reminder';
export const EXPIRY_WARNING_JOB = 'lot-expiry-warning';
/** Unused credits are announced this long before their lot expires. */
export const EXPIRY_WARNING_DAYS = 7;

export function practiceLinks(publicUrl: string, slug: string): Links {
  return { bookingPage: `${publicUrl}/${slug}`, portal: `${publicUrl}/${slug}/me` };
}

/** The portal, opened on one owed fee with its "Pay" button. */
export function feePaymentUrl(publicUrl: string, slug: string, feeId: string): string {
  return `${publicUrl}/${slug}/me?fee=${encodeURIComponent(feeId)}`;
}

interface Parties {
  client: Person;
  /** The practice's active owners: each gets the practitioner's copy (the calendar is the practice's, run by its owners). */
  practitioners: Person[];
}

async function parties(trx: Trx, practiceId: string, clientId: string): Promise<Parties> {
  const client = await trx.selectFrom('clients').select(['name', 'email']).where('practice_id', '=', practiceId).where('id', '=', clientId).executeTakeFirstOrThrow();
  const practitioners = await trx
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select(['members.name', 'users.email'])
    .where('members.practice_id', '=', practiceId)
    .where('members.role', '=', 'owner')
    .where('members.active', '=', 1)
    .where('members.joined_at', 'is not', null)
    .orderBy('members.joined_at')
    .orderBy('members.id')
    .execute();
  return { client, practitioners };
}

function sessionFacts(practice: PracticeRow, service: ServiceRow, booking: BookingRow, clientName: string): SessionFacts {
  return {
    practiceName: practice.name,
    timeZone: practice.time_zone,
    serviceName: service.name,
    clientName,
    startMs: Date.parse(booking.start_at),
    endMs: Date.parse(booking.end_at),
  };
}

/** The booking as both sides' calendars hold it: one UID, the practice as organizer, the client attending. */
function calendarEvent(practice: PracticeRow, service: ServiceRow, booking: BookingRow, who: Parties, summary: string, sequence = booking.sequence): CalendarEvent {
  const organizer = who.practitioners[0];
  return {
    bookingId: booking.id,
    sequence,
    startMs: Date.parse(booking.start_at),
    endMs: Date.parse(booking.end_at),
    timeZone: practice.time_zone,
    summary,
    description: `${service.name} with ${practice.name}`,
    organizer: organizer ? { name: practice.name, email: organizer.email } : null,
    attendees: [who.client],
  };
}

interface Copy {
  to: string;
  content: MailContent;
  invite?: { method: 'REQUEST' | 'CANCEL'; ics: string };
}

/** Mail about one client: every copy records the client, so erasing them blanks the practitioner's copies too. */
interface About {
  practiceId: string;
  clientId: string;
}

async function send(trx: Trx, about: About, copies: Copy[], now: Date): Promise<void> {
  await enqueueMails(
    trx,
    copies.map((copy) => ({ ...about, to: copy.to, ...copy.content, ics: copy.invite?.ics ?? null, icsMethod: copy.invite?.method ?? null })),
    now,
  );
}

/** Both sides' copies of a booking mail, each with the invite (REQUEST or CANCEL) for its own calendar. */
async function sendBoth(
  trx: Trx,
  facts: { practice: PracticeRow; service: ServiceRow; booking: BookingRow; who: Parties },
  method: 'REQUEST' | 'CANCEL',
  mails: { client: MailContent; practitioner: MailContent },
  now: Date,
  sequence?: number,
): Promise<void> {
  const { practice, service, booking, who } = facts;
  const invite = (summary: string) => ({ method, ics: bookingInvite(method, calendarEvent(practice, service, booking, who, summary, sequence), now) });
  await send(
    trx,
    { practiceId: practice.id, clientId: booking.client_id },
    [
      { to: who.client.email, content: mails.client, invite: invite(`${service.name} with ${practice.name}`) },
      ...who.practitioners.map((p) => ({ to: p.email, content: mails.practitioner, invite: invite(`${service.name}: ${who.client.name}`) })),
    ],
    now,
  );
}

/** The dedupe key of a booking's reminder: one per booking and sequence. */
export function reminderJobKey(bookingId: string, sequence: number): string {
  return `reminder:${bookingId}:${sequence}`;
}

/** The dedupe key of a lot's expiry warning: one per lot. */
export function expiryWarningJobKey(lotId: string): string {
  return `expiry-warning:${lotId}`;
}

/** A reminder job per booking and sequence: a moved booking gets a new one, and the old one finds it moved. */
async function scheduleReminder(trx: Trx, booking: BookingRow, reminderHours: number, now: Date): Promise<void> {
  if (reminderHours <= 0) return;
  const runAt = Date.parse(booking.start_at) - reminderHours * HOUR_MS;
  if (runAt <= now.getTime()) return; // booked inside the reminder window: the confirmation is reminder enough
  await enqueueJob(
    trx,
    { kind: REMINDER_JOB, runAt: new Date(runAt), payload: { practiceId: booking.practice_id, bookingId: booking.id, sequence: booking.sequence }, dedupeKey: reminderJobKey(booking.id, booking.sequence) },
    now,
  );
}

/**
 * Confirmation with an invite to both sides, the reminder, and a word when the client's credits run
 * low. `credits` is what is left for this service, `balance` the client's whole usable balance
 * (the two differ only when some lots are kept for other services).
 */
export async function notifyBooked(
  trx: Trx,
  facts: { booking: BookingRow; practice: PracticeRow; service: ServiceRow; credits: Credits; balance: Credits },
  settings: MailSettings,
  now: Date,
): Promise<void> {
  const { booking, practice, service, credits, balance } = facts;
  const who = await parties(trx, practice.id, booking.client_id);
  const links = practiceLinks(settings.publicUrl, practice.slug);
  const session = sessionFacts(practice, service, booking, who.client.name);
  const paidInCredits = booking.payment_kind === 'credits';
  await sendBoth(
    trx,
    { practice, service, booking, who },
    'REQUEST',
    {
      client: templates.bookedForClient(session, paidInCredits ? { credits: booking.credits, available: credits.available, forServiceOnly: credits.available !== balance.available } : null, links),
      practitioner: templates.bookedForPractitioner(session),
    },
    now,
  );
  await scheduleReminder(trx, booking, settings.reminderHours, now);
  if (!paidInCredits) return;
  const person = { practiceName: practice.name, clientName: who.client.name };
  const about = { practiceId: practice.id, clientId: booking.client_id };
  if (balance.available === 1) await send(trx, about, [{ to: who.client.email, content: templates.lowBalance(person, links) }], now);
  if (balance.available === 0) await send(trx, about, [{ to: who.client.email, content: templates.creditsUsedUp(person, links) }], now);
}

/** The same UID with the raised SEQUENCE, to both sides, and a reminder for the new time. */
export async function notifyRescheduled(
  trx: Trx,
  facts: { before: BookingRow; booking: BookingRow; practice: PracticeRow; service: ServiceRow },
  settings: MailSettings,
  now: Date,
): Promise<void> {
  const { before, booking, practice, service } = facts;
  const who = await parties(trx, practice.id, booking.client_id);
  const session = sessionFacts(practice, service, booking, who.client.name);
  const previous = { startMs: Date.parse(before.start_at), endMs: Date.parse(before.end_at) };
  await sendBoth(
    trx,
    { practice, service, booking, who },
    'REQUEST',
    {
      client: templates.rescheduledForClient(session, previous, practiceLinks(settings.publicUrl, practice.slug)),
      practitioner: templates.rescheduledForPractitioner(session, previous),
    },
    now,
  );
  await scheduleReminder(trx, booking, settings.reminderHours, now);
}

/** `METHOD:CANCEL` for the booking's UID, to both sides, with the credit outcome in words. */
export async function notifyCancelled(
  trx: Trx,
  facts: { booking: BookingRow; practice: PracticeRow; service: ServiceRow; outcome: CancellationFacts; by: 'client' | 'practitioner'; payFeeUrl?: string | null },
  now: Date,
): Promise<void> {
  const { booking, practice, service, outcome, by } = facts;
  const who = await parties(trx, practice.id, booking.client_id);
  const session = sessionFacts(practice, service, booking, who.client.name);
  // The cancellation supersedes the last request the calendars saw, so it carries the next sequence.
  await sendBoth(
    trx,
    { practice, service, booking, who },
    'CANCEL',
    { client: templates.cancelledForClient(session, outcome, by, facts.payFeeUrl ?? null), practitioner: templates.cancelledForPractitioner(session, outcome, by) },
    now,
    booking.sequence + 1,
  );
}

/** A no-show under a `fee` policy: the client is told what is owed and where to pay it. */
export async function notifyFeeOwed(trx: Trx, facts: { booking: BookingRow; practice: PracticeRow; service: ServiceRow; fee: FeeRow; payFeeUrl: string | null }, now: Date): Promise<void> {
  const { booking, practice, service, fee } = facts;
  const who = await parties(trx, practice.id, booking.client_id);
  const content = templates.feeOwed(sessionFacts(practice, service, booking, who.client.name), { amount: fee.amount, currency: fee.currency }, facts.payFeeUrl);
  await send(trx, { practiceId: practice.id, clientId: booking.client_id }, [{ to: who.client.email, content }], now);
}

/** The receipt of a confirmed purchase. */
export async function notifyPurchased(trx: Trx, purchase: PurchaseRow, lot: LotRow, credits: number, now: Date, charge: string | null = null): Promise<void> {
  const practice = await trx.selectFrom('practices').selectAll().where('id', '=', purchase.practice_id).executeTakeFirstOrThrow();
  const client = await trx.selectFrom('clients').select(['name', 'email']).where('id', '=', purchase.client_id).executeTakeFirstOrThrow();
  const content = templates.receipt({
    practiceName: practice.name,
    timeZone: practice.time_zone,
    clientName: client.name,
    packageName: lot.package_name,
    credits,
    amount: { amount: purchase.amount, currency: purchase.currency },
    paidAtMs: now.getTime(),
    expiresAtMs: lot.expires_at === null ? null : Date.parse(lot.expires_at),
    purchaseId: purchase.id,
    charge,
  });
  await send(trx, { practiceId: practice.id, clientId: purchase.client_id }, [{ to: client.email, content }], now);
}

/** A lot that expires gets a warning job a week before; the job itself checks that credits are left. */
export async function scheduleExpiryWarning(trx: Trx, lot: LotRow, now: Date): Promise<void> {
  if (lot.expires_at === null) return;
  const runAt = Date.parse(lot.expires_at) - EXPIRY_WARNING_DAYS * DAY_MS;
  if (runAt <= now.getTime()) return; // valid for less than the warning period: the receipt says when it ends
  await enqueueJob(trx, { kind: EXPIRY_WARNING_JOB, runAt: new Date(runAt), payload: { practiceId: lot.practice_id, lotId: lot.id }, dedupeKey: expiryWarningJobKey(lot.id) }, now);
}

/**
 * The reminder job: sends only if the booking is still confirmed at the time it was scheduled for
 * (a moved booking has a newer sequence and its own reminder). Safe to run twice: the mail's key
 * is fixed, so a retry after a crash does not write a second one.
 */
export async function mailReminder(db: Db, payload: { practiceId: string; bookingId: string; sequence: number }, settings: MailSettings, now: Date): Promise<boolean> {
  return db.write(async (trx) => {
    const booking = await trx.selectFrom('bookings').selectAll().where('practice_id', '=', payload.practiceId).where('id', '=', payload.bookingId).executeTakeFirst();
    if (!booking || booking.status !== 'confirmed' || booking.sequence !== payload.sequence || Date.parse(booking.start_at) <= now.getTime()) return false;
    const practice = await trx.selectFrom('practices').selectAll().where('id', '=', booking.practice_id).executeTakeFirstOrThrow();
    const service = await trx.selectFrom('services').selectAll().where('id', '=', booking.service_id).executeTakeFirstOrThrow();
    const who = await parties(trx, practice.id, booking.client_id);
    const content = templates.reminder(sessionFacts(practice, service, booking, who.client.name), practiceLinks(settings.publicUrl, practice.slug));
    await enqueueMail(trx, { practiceId: practice.id, clientId: booking.client_id, to: who.client.email, ...content, key: `reminder-${booking.id}-${booking.sequence}` }, now);
    return true;
  });
}

/** The expiry warning job: only if the lot still has unused credits and has not expired yet. */
export async function mailExpiryWarning(db: Db, payload: { practiceId: string; lotId: string }, settings: MailSettings, now: Date): Promise<boolean> {
  return db.write(async (trx) => {
    const lot = await trx.selectFrom('lots').selectAll().where('practice_id', '=', payload.practiceId).where('id', '=', payload.lotId).executeTakeFirst();
    if (!lot || lot.expires_at === null || Date.parse(lot.expires_at) <= now.getTime()) return false;
    const balance = (await clientLots(trx, lot.practice_id, lot.client_id)).find((l) => l.id === lot.id);
    if (!balance || balance.available <= 0) return false;
    const practice = await trx.selectFrom('practices').selectAll().where('id', '=', lot.practice_id).executeTakeFirstOrThrow();
    const client = await trx.selectFrom('clients').select(['name', 'email']).where('id', '=', lot.client_id).executeTakeFirstOrThrow();
    const content = templates.expiryWarning(
      { practiceName: practice.name, timeZone: practice.time_zone, clientName: client.name, packageName: lot.package_name, credits: balance.available, expiresAtMs: Date.parse(lot.expires_at) },
      practiceLinks(settings.publicUrl, practice.slug),
    );
    await enqueueMail(trx, { practiceId: practice.id, clientId: lot.client_id, to: client.email, ...content, key: `expiry-${lot.id}` }, now);
    return true;
  });
}
