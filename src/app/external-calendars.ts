import type { Kysely } from 'kysely';
import { busyIntervals, BUSY_HORIZON_DAYS, type Interval } from '../calendars/busy-times.js';
import { checkUrl, fetchText, FetchRefused } from '../calendars/safe-fetch.js';
import type { Db, Trx } from '../db/create-db.js';
import type { ExternalCalendarRow, Schema } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { DAY_MS, iso, MINUTE_MS } from '../domain/instants.js';
import { enqueueJob } from './schedule-job.js';
import { isUniqueViolation } from './db-errors.js';
import { newId } from '../lib/ids.js';
import { validation } from './field-errors.js';

type Reader = Kysely<Schema> | Trx;

/** Calendars a practice may import. */
export const EXTERNAL_CALENDARS_MAX = 10;
export const URL_LENGTH_MAX = 2_000;
/** Each calendar is fetched again this long after its last try. */
export const CALENDAR_REFRESH_MS = 15 * MINUTE_MS;
/** Calendars fetched per run of the recurring job. */
const REFRESH_BATCH = 10;
/** Rows inserted per statement when busy intervals are replaced. */
const INSERT_CHUNK = 200;
/** Busy intervals that began this long ago and still go on are kept. */
const PAST_REACH_MS = DAY_MS;
/** The longest buffer: busy intervals this far outside a slot range can still reach into it. */
const BUFFER_REACH_MS = 720 * MINUTE_MS;

export const REFRESH_CALENDAR_JOB = 'refresh-external-calendar';

export interface FetchPolicy {
  allowPrivateUrls: boolean;
}

export function externalCalendarView(row: ExternalCalendarRow) {
  return { id: row.id, url: row.url, createdAt: row.created_at, lastFetchedAt: row.last_fetched_at, lastError: row.last_error, busyCount: row.busy_count };
}

/** `webcal://` is how calendar apps spell an https ICS link. */
function normalizeUrl(raw: string): string {
  const trimmed = raw.trim();
  return /^webcals?:\/\//i.test(trimmed) ? trimmed.replace(/^webcals?:\/\//i, 'https://') : trimmed;
}

/** Adds an ICS URL whose events will block slots, and schedules its first fetch at once. */
export async function addExternalCalendar(trx: Trx, practiceId: string, rawUrl: string, policy: FetchPolicy, now: Date): Promise<ExternalCalendarRow> {
  let url: string;
  try {
    url = checkUrl(normalizeUrl(rawUrl), policy.allowPrivateUrls).toString();
  } catch (error) {
    if (error instanceof FetchRefused) throw validation('/url', error.message);
    throw error;
  }
  const existing = await trx.selectFrom('external_calendars').select('url').where('practice_id', '=', practiceId).execute();
  if (existing.some((c) => c.url === url)) throw new DomainError('conflict', 'this calendar is already imported');
  if (existing.length >= EXTERNAL_CALENDARS_MAX) throw new DomainError('conflict', `at most ${EXTERNAL_CALENDARS_MAX} calendars can be imported`);
  const row: ExternalCalendarRow = {
    id: newId(),
    practice_id: practiceId,
    url,
    created_at: iso(now),
    next_fetch_at: iso(now.getTime() + CALENDAR_REFRESH_MS),
    last_fetched_at: null,
    last_error: null,
    busy_count: 0,
  };
  try {
    await trx.insertInto('external_calendars').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('conflict', 'this calendar is already imported');
    throw error;
  }
  await enqueueJob(trx, { kind: REFRESH_CALENDAR_JOB, runAt: now, payload: { calendarId: row.id }, dedupeKey: `calendar-added:${row.id}` }, now);
  return row;
}

export async function listExternalCalendars(db: Db, practiceId: string): Promise<ExternalCalendarRow[]> {
  return db.kysely.selectFrom('external_calendars').selectAll().where('practice_id', '=', practiceId).orderBy('created_at').orderBy('id').limit(EXTERNAL_CALENDARS_MAX).execute();
}

/** Removes a calendar and its busy times: its events stop blocking slots at once. */
export async function removeExternalCalendar(db: Db, practiceId: string, id: string): Promise<void> {
  await db.write(async (trx) => {
    // Lock the calendar's row first, as a refresh does, so a refresh cannot add busy times between the two deletes.
    const found = await trx.updateTable('external_calendars').set({ last_error: null }).where('practice_id', '=', practiceId).where('id', '=', id).executeTakeFirst();
    if (Number(found.numUpdatedRows) !== 1) throw new DomainError('not_found', 'no such calendar');
    await trx.deleteFrom('external_busy').where('practice_id', '=', practiceId).where('calendar_id', '=', id).execute();
    await trx.deleteFrom('external_calendars').where('id', '=', id).execute();
  });
}

/**
 * Fetches one calendar (outside any transaction: it may take seconds) and replaces its busy
 * intervals for the next BUSY_HORIZON_DAYS. On failure the previous intervals stay, the error is
 * recorded, and the next try comes with the regular refresh.
 */
export async function refreshExternalCalendar(db: Db, policy: FetchPolicy, calendarId: string, now: Date): Promise<void> {
  const calendar = await db.kysely.selectFrom('external_calendars').selectAll().where('id', '=', calendarId).executeTakeFirst();
  if (!calendar) return; // removed meanwhile
  const practice = await db.kysely.selectFrom('practices').select('time_zone').where('id', '=', calendar.practice_id).executeTakeFirstOrThrow();
  let intervals: Interval[];
  let warning: string | null = null;
  try {
    const text = await fetchText(calendar.url, { allowPrivate: policy.allowPrivateUrls });
    const busy = await busyIntervals(text, { start: now.getTime() - PAST_REACH_MS, end: now.getTime() + BUSY_HORIZON_DAYS * DAY_MS }, practice.time_zone);
    intervals = busy.intervals;
    if (busy.skipped > 0) warning = `${busy.skipped} event(s) repeat too often to be read; they do not block slots`;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await db.kysely
      .updateTable('external_calendars')
      .set({ last_error: message.slice(0, 500), next_fetch_at: iso(now.getTime() + CALENDAR_REFRESH_MS) })
      .where('id', '=', calendarId)
      .execute();
    return;
  }
  await db.write(async (trx) => {
    // Updating the calendar's row first locks it: a removal waits for this replacement, or this finds it gone.
    const updated = await trx
      .updateTable('external_calendars')
      .set({ last_fetched_at: iso(now), last_error: warning, busy_count: intervals.length, next_fetch_at: iso(now.getTime() + CALENDAR_REFRESH_MS) })
      .where('id', '=', calendarId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return; // removed meanwhile
    await trx.deleteFrom('external_busy').where('calendar_id', '=', calendarId).execute();
    const rows = intervals.map((i) => ({ id: newId(), practice_id: calendar.practice_id, calendar_id: calendarId, start_at: iso(i.start), end_at: iso(i.end) }));
    for (let at = 0; at < rows.length; at += INSERT_CHUNK) await trx.insertInto('external_busy').values(rows.slice(at, at + INSERT_CHUNK)).execute();
  });
}

/**
 * The recurring job: refreshes the calendars whose time has come. Each is claimed by moving its
 * next fetch on with a conditional update, so two processes do not fetch the same one.
 */
export async function refreshDueCalendars(db: Db, policy: FetchPolicy, now: Date): Promise<number> {
  const due = await db.kysely
    .selectFrom('external_calendars')
    .select(['id', 'next_fetch_at'])
    .where('next_fetch_at', '<=', iso(now))
    .orderBy('next_fetch_at')
    .limit(REFRESH_BATCH)
    .execute();
  let refreshed = 0;
  for (const calendar of due) {
    const claimed = await db.kysely
      .updateTable('external_calendars')
      .set({ next_fetch_at: iso(now.getTime() + CALENDAR_REFRESH_MS) })
      .where('id', '=', calendar.id)
      .where('next_fetch_at', '=', calendar.next_fetch_at)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue;
    await refreshExternalCalendar(db, policy, calendar.id, now);
    refreshed++;
  }
  return refreshed;
}

/** The imported busy intervals that can reach into [fromMs, toMs] (buffers included): slot blocks. */
export async function loadBlocks(db: Reader, practiceId: string, fromMs: number, toMs: number): Promise<Interval[]> {
  const rows = await db
    .selectFrom('external_busy')
    .select(['start_at', 'end_at'])
    .where('practice_id', '=', practiceId)
    .where('start_at', '<', iso(toMs + BUFFER_REACH_MS))
    .where('end_at', '>', iso(fromMs - BUFFER_REACH_MS))
    .execute();
  return rows.map((r) => ({ start: Date.parse(r.start_at), end: Date.parse(r.end_at) }));
}
