import ical, { ICalCalendarMethod, ICalEventStatus, type ICalCalendar } from 'ical-generator';
import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import { DateTime } from 'luxon';

const PRODUCT_ID = { company: 'Tallybook', product: 'Tallybook', language: 'EN' };

/** One UID per booking, kept across reschedules and the cancellation, so calendars update one event. */
export function bookingUid(bookingId: string): string {
  return `${bookingId}@tallybook`;
}

export interface Person {
  name: string;
  email: string;
}

export interface CalendarEvent {
  bookingId: string;
  /** Raised by each reschedule; a calendar keeps the event with the highest. */
  sequence: number;
  startMs: number;
  endMs: number;
  /** DTSTART and DTEND are written as wall-clock times of this zone (TZID). */
  timeZone: string;
  summary: string;
  description: string;
  organizer: Person | null;
  attendees: Person[];
}

function addEvent(calendar: ICalCalendar, event: CalendarEvent, now: Date, cancelled: boolean): void {
  calendar.createEvent({
    id: bookingUid(event.bookingId),
    sequence: event.sequence,
    stamp: now,
    // Luxon values in the event's zone: ical-generator then writes local times with TZID, whatever the server's zone.
    start: DateTime.fromMillis(event.startMs, { zone: event.timeZone }),
    end: DateTime.fromMillis(event.endMs, { zone: event.timeZone }),
    timezone: event.timeZone,
    summary: event.summary,
    description: event.description,
    status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: event.organizer,
    attendees: event.attendees.map((a) => ({ name: a.name, email: a.email, rsvp: false })),
  });
}

/** Writes the zone's VTIMEZONE block, which strict RFC 5545 readers (some Outlook versions) need beside TZID. */
function withZone(calendar: ICalCalendar, timeZone: string): ICalCalendar {
  return calendar.timezone({ name: timeZone, generator: getVtimezoneComponent });
}

/** An invitation (`METHOD:REQUEST`) or its withdrawal (`METHOD:CANCEL`) for one booking. */
export function bookingInvite(method: 'REQUEST' | 'CANCEL', event: CalendarEvent, now: Date): string {
  const calendar = ical({ prodId: PRODUCT_ID, method: method === 'REQUEST' ? ICalCalendarMethod.REQUEST : ICalCalendarMethod.CANCEL });
  withZone(calendar, event.timeZone);
  addEvent(calendar, event, now, method === 'CANCEL');
  return calendar.toString();
}

/** A subscribable calendar of a practice's bookings (the secret feed). */
export function bookingFeed(name: string, timeZone: string, events: CalendarEvent[], now: Date): string {
  const calendar = ical({ prodId: PRODUCT_ID, name, method: ICalCalendarMethod.PUBLISH, ttl: 15 * 60 });
  withZone(calendar, timeZone);
  for (const event of events) addEvent(calendar, event, now, false);
  return calendar.toString();
}
