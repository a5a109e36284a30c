import { DateTime } from 'luxon';
import type { Money } from '../domain/policy.js';

/** A mail as the outbox keeps it: the same words as plain text and as HTML. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/** A paragraph of a mail: words, or a link with its label. */
export type Paragraph = string | { label: string; url: string };

const LOCALE = 'en-GB';

/** "Tuesday 3 March 2026, 09:00–10:00 (Europe/London)": a session in the zone its reader lives by. */
export function sessionTime(startMs: number, endMs: number, timeZone: string): string {
  const start = DateTime.fromMillis(startMs, { zone: timeZone }).setLocale(LOCALE);
  const end = DateTime.fromMillis(endMs, { zone: timeZone }).setLocale(LOCALE);
  return `${start.toFormat('cccc d LLLL yyyy, HH:mm')}–${end.toFormat('HH:mm')} (${timeZone})`;
}

/** "Tue 3 Mar, 09:00": short enough for a subject line. */
export function shortTime(instantMs: number, timeZone: string): string {
  return DateTime.fromMillis(instantMs, { zone: timeZone }).setLocale(LOCALE).toFormat('ccc d LLL, HH:mm');
}

/** "Tuesday 3 March 2026": a day in the zone. */
export function day(instantMs: number, timeZone: string): string {
  return DateTime.fromMillis(instantMs, { zone: timeZone }).setLocale(LOCALE).toFormat('cccc d LLLL yyyy');
}

/** "$20.00" from minor units, with the currency's own number of decimals. */
export function money(value: Money): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: value.currency });
  const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(value.amount / 10 ** decimals);
}

export function credits(n: number): string {
  return n === 1 ? '1 credit' : `${n} credits`;
}

/** Builds the text and HTML bodies from the same paragraphs, signed with the practice's name. */
export function compose(subject: string, greeting: string, paragraphs: Paragraph[], signature: string): MailContent {
  const all: Paragraph[] = [greeting, ...paragraphs, `— ${signature}`];
  const text = all.map((p) => (typeof p === 'string' ? p : `${p.label}: ${p.url}`)).join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">',
    ...all.map((p) =>
      typeof p === 'string'
        ? `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`
        : `<p><a href="${escapeHtml(p.url)}">${escapeHtml(p.label)}</a></p>`,
    ),
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
