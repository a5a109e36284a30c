/**
 * The words of every mail the product sends (API.md "Mail the product sends"). Pure: facts in,
 * subject and bodies out; times are shown in the practice's zone, which is both sides' zone.
 */
import type { Money } from '../domain/policy.js';
import { compose, credits, day, money, sessionTime, shortTime, type MailContent } from './format.js';

export interface SessionFacts {
  practiceName: string;
  timeZone: string;
  serviceName: string;
  clientName: string;
  startMs: number;
  endMs: number;
}

export interface Links {
  /** The booking page: book again, buy a package. */
  bookingPage: string;
  /** The client's own page: bookings, cancel, move. */
  portal: string;
}

export interface CancellationFacts {
  outcome: 'release' | 'forfeit' | 'fee' | 'none';
  credits: number;
  fee: Money | null;
}

const INVITE_NOTE = 'The calendar invitation is attached.';

function when(s: SessionFacts): string {
  return sessionTime(s.startMs, s.endMs, s.timeZone);
}

/** `paid.forServiceOnly`: other credits are left that only other services can use, so the count names the service. */
export function bookedForClient(s: SessionFacts, paid: { credits: number; available: number; forServiceOnly?: boolean } | null, links: Links): MailContent {
  const left = `${credits(paid?.available ?? 0)} left${paid?.forServiceOnly ? ` for ${s.serviceName}` : ''}`;
  const payment = paid ? [`Paid with ${credits(paid.credits)}; ${left}.`] : [];
  return compose(
    `Booked: ${s.serviceName} with ${s.practiceName}, ${shortTime(s.startMs, s.timeZone)}`,
    `Hello ${s.clientName},`,
    [`Your session is booked:\n${s.serviceName} with ${s.practiceName}\n${when(s)}`, ...payment, INVITE_NOTE, { label: 'Your bookings', url: links.portal }],
    s.practiceName,
  );
}

export function bookedForPractitioner(s: SessionFacts): MailContent {
  return compose(
    `New booking: ${s.clientName}, ${s.serviceName}, ${shortTime(s.startMs, s.timeZone)}`,
    'Hello,',
    [`${s.clientName} is booked with ${s.practiceName}:\n${s.serviceName}\n${when(s)}`, INVITE_NOTE],
    'Tallybook',
  );
}

export function rescheduledForClient(s: SessionFacts, before: { startMs: number; endMs: number }, links: Links): MailContent {
  return compose(
    `Moved: ${s.serviceName} with ${s.practiceName}, now ${shortTime(s.startMs, s.timeZone)}`,
    `Hello ${s.clientName},`,
    [
      `Your ${s.serviceName} with ${s.practiceName} has moved.\nNow: ${when(s)}\nBefore: ${sessionTime(before.startMs, before.endMs, s.timeZone)}`,
      'The updated calendar invitation is attached.',
      { label: 'Your bookings', url: links.portal },
    ],
    s.practiceName,
  );
}

export function rescheduledForPractitioner(s: SessionFacts, before: { startMs: number; endMs: number }): MailContent {
  return compose(
    `Moved: ${s.clientName}, ${s.serviceName}, now ${shortTime(s.startMs, s.timeZone)}`,
    'Hello,',
    [`The ${s.serviceName} with ${s.clientName} has moved.\nNow: ${when(s)}\nBefore: ${sessionTime(before.startMs, before.endMs, s.timeZone)}`, 'The updated calendar invitation is attached.'],
    'Tallybook',
  );
}

/** The credit outcome of a cancellation in words, e.g. "Your credit was returned." */
export function outcomeInWords(c: CancellationFacts, owner: string): string {
  const theCredits = c.credits === 1 ? `${owner} credit` : `${owner} ${c.credits} credits`;
  const returned = `${capitalize(theCredits)} ${c.credits === 1 ? 'was' : 'were'} returned`;
  const fee = c.fee ? `a fee of ${money(c.fee)} is owed for the late cancellation` : '';
  switch (c.outcome) {
    case 'release':
      return `${returned}.`;
    case 'forfeit':
      return `The late cancellation used ${theCredits}.`;
    case 'fee':
      return c.credits > 0 ? `${returned}, and ${fee}.` : `${capitalize(fee)}.`;
    case 'none':
      return 'No credits were involved.';
  }
}

export function cancelledForClient(s: SessionFacts, c: CancellationFacts, by: 'client' | 'practitioner', payFeeUrl: string | null = null): MailContent {
  const who = by === 'client' ? 'You cancelled' : `${s.practiceName} cancelled`;
  return compose(
    `Cancelled: ${s.serviceName} with ${s.practiceName}, ${shortTime(s.startMs, s.timeZone)}`,
    `Hello ${s.clientName},`,
    [`${who} your session:\n${s.serviceName} with ${s.practiceName}\n${when(s)}`, outcomeInWords(c, 'your'), ...(payFeeUrl && c.fee ? [{ label: 'Pay the fee online', url: payFeeUrl }] : [])],
    s.practiceName,
  );
}

export function cancelledForPractitioner(s: SessionFacts, c: CancellationFacts, by: 'client' | 'practitioner'): MailContent {
  const who = by === 'client' ? `${s.clientName} cancelled` : 'You cancelled';
  return compose(
    `Cancelled: ${s.clientName}, ${s.serviceName}, ${shortTime(s.startMs, s.timeZone)}`,
    'Hello,',
    [`${who} the session:\n${s.serviceName} with ${s.clientName}\n${when(s)}`, outcomeInWords(c, `${s.clientName}’s`)],
    'Tallybook',
  );
}

export function reminder(s: SessionFacts, links: Links): MailContent {
  return compose(
    `Reminder: ${s.serviceName} with ${s.practiceName}, ${shortTime(s.startMs, s.timeZone)}`,
    `Hello ${s.clientName},`,
    [`A reminder of your session:\n${s.serviceName} with ${s.practiceName}\n${when(s)}`, { label: 'Cancel or move it', url: links.portal }],
    s.practiceName,
  );
}

export interface ReceiptFacts {
  practiceName: string;
  timeZone: string;
  clientName: string;
  packageName: string;
  credits: number;
  amount: Money;
  paidAtMs: number;
  expiresAtMs: number | null;
  purchaseId: string;
  /** The Stripe charge that paid it (null: paid otherwise). */
  charge?: string | null;
}

export function receipt(r: ReceiptFacts): MailContent {
  const validity = r.expiresAtMs === null ? 'They do not expire.' : `They can be used for sessions until ${day(r.expiresAtMs, r.timeZone)}.`;
  return compose(
    `Receipt: ${r.packageName} from ${r.practiceName}`,
    `Hello ${r.clientName},`,
    [
      `Thank you for your purchase.\n${r.packageName}: ${credits(r.credits)}\nPaid: ${money(r.amount)} on ${day(r.paidAtMs, r.timeZone)}${chargeLine(r.charge)}\nReference: ${r.purchaseId}`,
      `${capitalize(credits(r.credits))} ${r.credits === 1 ? 'was' : 'were'} added to your balance. ${validity}`,
    ],
    r.practiceName,
  );
}

export function lowBalance(p: { practiceName: string; clientName: string }, links: Links): MailContent {
  return compose(
    `1 credit left with ${p.practiceName}`,
    `Hello ${p.clientName},`,
    ['You have 1 credit left: enough for one more session. Buy your next package when you are ready:', { label: 'Buy the next package', url: links.bookingPage }],
    p.practiceName,
  );
}

export function creditsUsedUp(p: { practiceName: string; clientName: string }, links: Links): MailContent {
  return compose(
    `Your credits with ${p.practiceName} are used up`,
    `Hello ${p.clientName},`,
    ['That booking used your last credit. To book more sessions, buy the next package:', { label: 'Buy the next package', url: links.bookingPage }],
    p.practiceName,
  );
}

export function expiryWarning(e: { practiceName: string; timeZone: string; clientName: string; packageName: string; credits: number; expiresAtMs: number }, links: Links): MailContent {
  const expiry = day(e.expiresAtMs, e.timeZone);
  return compose(
    `${capitalize(credits(e.credits))} with ${e.practiceName} expire on ${expiry}`,
    `Hello ${e.clientName},`,
    [`${capitalize(credits(e.credits))} of your ${e.packageName} ${e.credits === 1 ? 'is' : 'are'} unused and expire${e.credits === 1 ? 's' : ''} at the end of ${expiry}. Book a session before then to use ${e.credits === 1 ? 'it' : 'them'}:`, { label: 'Book a session', url: links.bookingPage }],
    e.practiceName,
  );
}

function chargeLine(charge: string | null | undefined): string {
  return charge ? `\nCharge: ${charge} (Stripe)` : '';
}

/** A no-show under a `fee` policy: what is owed, and where to pay it. */
export function feeOwed(s: SessionFacts, fee: Money, payFeeUrl: string | null): MailContent {
  return compose(
    `A fee of ${money(fee)} is owed to ${s.practiceName}`,
    `Hello ${s.clientName},`,
    [
      `You were marked as not attending your session:\n${s.serviceName} with ${s.practiceName}\n${when(s)}`,
      `Under the cancellation policy a fee of ${money(fee)} is owed.`,
      ...(payFeeUrl ? [{ label: 'Pay the fee online', url: payFeeUrl }] : []),
    ],
    s.practiceName,
  );
}

export interface PaymentReceiptFacts {
  practiceName: string;
  timeZone: string;
  clientName: string;
  /** What was paid for, e.g. "Coaching session, Tuesday 3 March 2026, 09:00–10:00 (Europe/London)". */
  what: string;
  amount: Money;
  paidAtMs: number;
  charge: string | null;
  reference: string;
}

/** The receipt of a single session or a fee paid through Stripe. */
export function paymentReceipt(r: PaymentReceiptFacts): MailContent {
  return compose(
    `Receipt: ${money(r.amount)} to ${r.practiceName}`,
    `Hello ${r.clientName},`,
    [`Thank you for your payment.\n${r.what}\nPaid: ${money(r.amount)} on ${day(r.paidAtMs, r.timeZone)}${chargeLine(r.charge)}\nReference: ${r.reference}`],
    r.practiceName,
  );
}

export interface RefundReceiptFacts {
  practiceName: string;
  timeZone: string;
  clientName: string;
  what: string;
  amount: Money;
  /** Credits taken back with the refund (0: none were involved). */
  credits: number;
  refundedAtMs: number;
  /** Stripe's refund id (re_…), or ours when no provider was called. */
  reference: string;
  charge: string | null;
}

export function refundReceipt(r: RefundReceiptFacts): MailContent {
  const taken = r.credits > 0 ? [`${capitalize(credits(r.credits))} ${r.credits === 1 ? 'was' : 'were'} removed from your balance.`] : [];
  return compose(
    `Refund: ${money(r.amount)} from ${r.practiceName}`,
    `Hello ${r.clientName},`,
    [
      `${r.practiceName} refunded ${money(r.amount)} to you.\n${r.what}\nRefunded on ${day(r.refundedAtMs, r.timeZone)}${chargeLine(r.charge)}\nRefund: ${r.reference}`,
      ...taken,
      'A card refund usually shows on your statement within 5–10 days.',
    ],
    r.practiceName,
  );
}

/** A payment nothing could take any more (the time was booked by someone else, the fee was settled): it goes back. */
export function paymentReturned(p: { practiceName: string; clientName: string; what: string; amount: Money; why: string }, links: Links): MailContent {
  return compose(
    `Your payment of ${money(p.amount)} to ${p.practiceName} is being refunded`,
    `Hello ${p.clientName},`,
    [`${p.why}\n${p.what}`, `Your payment of ${money(p.amount)} is being refunded in full; a refund receipt follows.`, { label: 'Book another time', url: links.bookingPage }],
    p.practiceName,
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}


export interface InvitationFacts {
  practiceName: string;
  inviterName: string;
  memberName: string;
  role: 'owner' | 'practitioner' | 'assistant';
  /** The account already has a password: the link asks for it instead of a new one. */
  existingAccount: boolean;
  link: string;
  expiresHours: number;
}

const ROLE_IN_WORDS: Record<InvitationFacts['role'], string> = {
  owner: 'an owner (everything, settings and team included)',
  practitioner: 'a practitioner (the calendar and the clients)',
  assistant: 'an assistant (the calendar, the clients and the front desk)',
};

/** To the person invited into a practice's team (not to a client). */
export function memberInvitation(i: InvitationFacts): MailContent {
  const next = i.existingAccount
    ? 'Open the link and confirm with your Tallybook password: the practice is added to your account, next to the ones you already have.'
    : 'Open the link and choose a password: that is your Tallybook account.';
  return compose(
    `${i.inviterName} invited you to ${i.practiceName} on Tallybook`,
    `Hello ${i.memberName},`,
    [
      `${i.inviterName} added you to ${i.practiceName} as ${ROLE_IN_WORDS[i.role]}.`,
      next,
      { label: 'Join the practice', url: i.link },
      `The link works once, for ${i.expiresHours} hours. If you did not expect it, ignore this mail.`,
    ],
    'Tallybook',
  );
}
