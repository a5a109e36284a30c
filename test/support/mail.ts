import ical, { type VEvent } from 'node-ical';
import type { AddressObject, ParsedMail } from 'mailparser';
import type { SmtpReceiver } from './smtp-receiver.js';

/** Every address a received mail was sent to. */
export function recipients(mail: ParsedMail): string[] {
  const to = mail.to === undefined ? [] : Array.isArray(mail.to) ? mail.to : [mail.to];
  return to.flatMap((a: AddressObject) => a.value.map((v) => v.address ?? ''));
}

/** Waits until at least `count` mails to `address` have arrived, and returns them all in arrival order. */
export async function mailsTo(smtp: SmtpReceiver, address: string, count = 1, timeoutMs = 10_000): Promise<ParsedMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = smtp.mails.filter((m) => recipients(m).includes(address));
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`expected ${count} mail(s) to ${address}, got ${found.length}: ${found.map((m) => m.subject).join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The mail whose subject starts with `prefix` (exactly one must match). */
export function withSubject(mails: ParsedMail[], prefix: string): ParsedMail {
  const found = mails.filter((m) => (m.subject ?? '').startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one mail "${prefix}…", got ${found.length}: ${mails.map((m) => m.subject).join(' | ')}`);
  return found[0]!;
}

/** The calendar invite of a mail, parsed with node-ical: its METHOD and its one event. */
export function inviteOf(mail: ParsedMail): { method: string | undefined; event: VEvent; files: number; calendarParts: number; timeZones: string[] } {
  const parts = mail.attachments.filter((a) => a.contentType.startsWith('text/calendar') || a.contentType === 'application/ics');
  if (parts.length === 0) throw new Error(`no calendar part in "${mail.subject}"`);
  const parsed = ical.sync.parseICS(parts[0]!.content.toString('utf8'));
  const events = Object.values(parsed).filter((c): c is VEvent => c?.type === 'VEVENT');
  if (events.length !== 1) throw new Error(`expected one VEVENT, got ${events.length}`);
  return {
    method: parsed.vcalendar?.method,
    event: events[0]!,
    files: mail.attachments.filter((a) => a.filename === 'invite.ics').length,
    calendarParts: mail.attachments.filter((a) => a.contentType.startsWith('text/calendar')).length,
    /** The TZIDs of the VTIMEZONE blocks the invite carries. */
    timeZones: Object.values(parsed)
      .filter((c) => c?.type === 'VTIMEZONE')
      .map((c) => String((c as { tzid?: unknown }).tzid)),
  };
}
