import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busyIntervals } from '../../src/calendars/busy-times.js';
import { checkUrl, FETCH_BYTES_MAX, FETCH_TIMEOUT_MS, fetchText, isPrivateAddress } from '../../src/calendars/safe-fetch.js';
import { describeEachDialect, TEST_START, type TestContext } from '../support/app.js';
import { icsFile, startIcsServer } from '../support/ics-server.js';
import { expectInvariants, setUpPractice, slotStarts } from '../support/scenario.js';

const server = await startIcsServer();
afterAll(() => server.close());

const LONDON = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/London',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0000',
  'TZOFFSETTO:+0100',
  'TZNAME:BST',
  'DTSTART:19700329T010000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0000',
  'TZNAME:GMT',
  'DTSTART:19701025T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
].join('\r\n');

const event = (lines: string[]) => ['BEGIN:VEVENT', 'DTSTAMP:20260101T000000Z', ...lines, 'END:VEVENT'].join('\r\n');

/** Monday 09:00 London, weekly, across the change to summer time on 2026-03-29, without 23 March. */
const WEEKLY_ACROSS_DST = event([
  'UID:standup@elsewhere',
  'DTSTART;TZID=Europe/London:20260316T090000',
  'DTEND;TZID=Europe/London:20260316T100000',
  'RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6',
  'EXDATE;TZID=Europe/London:20260323T090000',
  'SUMMARY:Standup',
]);
const ONE_OFF = event(['UID:dentist@elsewhere', 'DTSTART:20260317T130000Z', 'DTEND:20260317T143000Z', 'SUMMARY:Dentist']);
const ALL_DAY = event(['UID:offsite@elsewhere', 'DTSTART;VALUE=DATE:20260318', 'DTEND;VALUE=DATE:20260319', 'SUMMARY:Offsite']);
const FREE = event(['UID:focus@elsewhere', 'DTSTART:20260319T090000Z', 'DTEND:20260319T170000Z', 'TRANSP:TRANSPARENT', 'SUMMARY:Focus (free)']);
const CANCELLED = event(['UID:called-off@elsewhere', 'DTSTART:20260320T090000Z', 'DTEND:20260320T170000Z', 'STATUS:CANCELLED', 'SUMMARY:Called off']);
const WORK_CALENDAR = icsFile(LONDON, WEEKLY_ACROSS_DST, ONE_OFF, ALL_DAY, FREE, CANCELLED);

const EXPECTED_BUSY = [
  ['2026-03-16T09:00:00.000Z', '2026-03-16T10:00:00.000Z'], // 09:00 GMT
  ['2026-03-17T13:00:00.000Z', '2026-03-17T14:30:00.000Z'],
  ['2026-03-18T00:00:00.000Z', '2026-03-19T00:00:00.000Z'], // the whole London day
  // 23 March is an EXDATE; from 29 March London is on BST, so 09:00 local is 08:00Z.
  ['2026-03-30T08:00:00.000Z', '2026-03-30T09:00:00.000Z'],
  ['2026-04-06T08:00:00.000Z', '2026-04-06T09:00:00.000Z'],
  ['2026-04-13T08:00:00.000Z', '2026-04-13T09:00:00.000Z'],
  ['2026-04-20T08:00:00.000Z', '2026-04-20T09:00:00.000Z'],
];

describe('busy times from an iCalendar file', () => {
  it('expands a weekly event across the DST change, leaves out the EXDATE, free and cancelled events, and takes all-day events as whole local days', async () => {
    const range = { start: Date.parse(TEST_START), end: Date.parse(TEST_START) + 90 * 86_400_000 };
    const { intervals: busy, skipped } = await busyIntervals(WORK_CALENDAR, range, 'Europe/London');
    expect(skipped).toBe(0);
    expect(busy.map((b) => [new Date(b.start).toISOString(), new Date(b.end).toISOString()])).toEqual(EXPECTED_BUSY);
  });

  it('keeps only what falls inside the range, clipping events that straddle it', async () => {
    const { intervals: busy } = await busyIntervals(WORK_CALENDAR, { start: Date.parse('2026-03-17T14:00:00Z'), end: Date.parse('2026-03-18T12:00:00Z') }, 'Europe/London');
    expect(busy.map((b) => [new Date(b.start).toISOString(), new Date(b.end).toISOString()])).toEqual([
      ['2026-03-17T14:00:00.000Z', '2026-03-17T14:30:00.000Z'],
      ['2026-03-18T00:00:00.000Z', '2026-03-18T12:00:00.000Z'],
    ]);
  });

  it('leaves out an event that repeats too often to expand, and says so', async () => {
    const everyMinute = event(['UID:tick@elsewhere', 'DTSTART:20260316T090000Z', 'DTEND:20260316T090100Z', 'RRULE:FREQ=MINUTELY']);
    const { intervals, skipped } = await busyIntervals(icsFile(ONE_OFF, everyMinute), { start: Date.parse(TEST_START), end: Date.parse(TEST_START) + 90 * 86_400_000 }, 'UTC');
    expect(skipped).toBe(1);
    expect(intervals.map((b) => new Date(b.start).toISOString())).toEqual(['2026-03-17T13:00:00.000Z']);
  });

  it('refuses a file that is not iCalendar', async () => {
    await expect(busyIntervals('<html>sign in</html>', { start: 0, end: 1 }, 'UTC')).rejects.toThrow(/not an iCalendar file/);
  });
});

describe('fetching a calendar URL', () => {
  afterEach(() => server.routes.clear());

  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.10', true],
    ['169.254.169.254', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['100.64.0.1', true],
    ['192.0.2.1', true],
    ['198.51.100.3', true],
    ['203.0.113.9', true],
    ['64:ff9b::a9fe:a9fe', true],
    ['2002:7f00:1::1', true],
    ['2001::1', true],
    ['2001:db8::1', true],
    ['not an address', true],
    ['8.8.8.8', false],
    ['2606:4700::1111', false],
  ])('treats %s as private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('refuses loopback addresses and names that resolve to them unless private URLs are allowed', async () => {
    server.routes.set('/cal.ics', { body: WORK_CALENDAR });
    await expect(fetchText(`${server.origin}/cal.ics`, { allowPrivate: false })).rejects.toThrow(/private or loopback/);
    await expect(fetchText(server.origin.replace('127.0.0.1', 'localhost') + '/cal.ics', { allowPrivate: false })).rejects.toThrow(/localhost does not resolve to a public address/);
    expect(server.hits.get('/cal.ics') ?? 0).toBe(0);
    expect(await fetchText(`${server.origin}/cal.ics`, { allowPrivate: true })).toBe(WORK_CALENDAR);
  });

  it('says the same for a name that does not exist as for a private one, and refuses privileged ports but 80 and 443', async () => {
    await expect(fetchText('http://no-such-host.invalid/cal.ics', { allowPrivate: false })).rejects.toThrow('no-such-host.invalid does not resolve to a public address');
    expect(() => checkUrl('http://calendar.example.com:25/cal.ics', false)).toThrow(/port/);
    expect(() => checkUrl('https://calendar.example.com:22/cal.ics', false)).toThrow(/port/);
    expect(checkUrl('https://calendar.example.com:8443/cal.ics', false).port).toBe('8443');
    expect(checkUrl('http://calendar.example.com:80/cal.ics', false).hostname).toBe('calendar.example.com');
  });

  it('refuses other schemes, and follows a redirect', async () => {
    await expect(fetchText('file:///etc/passwd', { allowPrivate: true })).rejects.toThrow(/http or https/);
    server.routes.set('/moved.ics', { location: '/cal.ics' });
    server.routes.set('/cal.ics', { body: 'BEGIN:VCALENDAR' });
    expect(await fetchText(`${server.origin}/moved.ics`, { allowPrivate: true })).toBe('BEGIN:VCALENDAR');
  });

  it(`gives up after ${FETCH_TIMEOUT_MS / 1000} s (here shortened) on an answer that never ends`, async () => {
    expect(FETCH_TIMEOUT_MS).toBe(10_000);
    server.routes.set('/slow.ics', { hang: true });
    const started = Date.now();
    await expect(fetchText(`${server.origin}/slow.ics`, { allowPrivate: true, timeoutMs: 300 })).rejects.toThrow(/in time/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a body over 5 MB', async () => {
    expect(FETCH_BYTES_MAX).toBe(5 * 1024 * 1024);
    server.routes.set('/huge.ics', { body: Buffer.alloc(FETCH_BYTES_MAX + 1, 'x') });
    server.routes.set('/fits.ics', { body: Buffer.alloc(FETCH_BYTES_MAX, 'x') });
    await expect(fetchText(`${server.origin}/huge.ics`, { allowPrivate: true })).rejects.toThrow(/larger than 5242880 bytes/);
    expect((await fetchText(`${server.origin}/fits.ics`, { allowPrivate: true })).length).toBe(FETCH_BYTES_MAX);
  });

  it('reports an error status', async () => {
    await expect(fetchText(`${server.origin}/missing.ics`, { allowPrivate: true })).rejects.toThrow(/HTTP 404/);
  });
});

// The clock stands at Monday 2026-03-02 08:00Z; the practice is open Mon–Fri 09:00–17:00 London.
describeEachDialect(
  'busy times imported from the practitioner’s other calendars',
  (ctx) => {
    afterEach(async () => {
      await expectInvariants(ctx);
      ctx.clock.set(TEST_START);
    });

    const call = (headers: Record<string, string>) => async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
      ctx.app.inject({ method, url: `/api/v1${url}`, headers, payload });

    async function busyRows(calendarId: string) {
      const rows = await ctx.db.kysely.selectFrom('external_busy').select(['start_at', 'end_at']).where('calendar_id', '=', calendarId).orderBy('start_at').execute();
      return rows.map((r) => [r.start_at, r.end_at]);
    }

    it('blocks slots with the events of an imported calendar (recurring across DST, one-off, all-day), in listings and in the booking transaction', async () => {
      const { practitioner, service } = await setUpPractice(ctx);
      const as = call(practitioner.headers);
      const slug = practitioner.practice.slug;
      const path = `/${slug}-work.ics`;
      server.routes.set(path, { body: WORK_CALENDAR });
      const before = await slotStarts(ctx, slug, service.id, '2026-03-16', '2026-03-31');
      expect(before).toContain('2026-03-16T09:00:00.000Z');

      const added = await as('POST', '/external-calendars', { url: `${server.origin}${path}` });
      expect(added.statusCode).toBe(201);
      expect(added.json()).toMatchObject({ url: `${server.origin}${path}`, lastFetchedAt: null, lastError: null, busyCount: 0 });
      await ctx.app.jobs.tick(); // the fetch scheduled when it was added

      const listed = await as('GET', '/external-calendars');
      expect(listed.json()).toEqual({ items: [{ ...added.json(), lastFetchedAt: TEST_START, busyCount: EXPECTED_BUSY.length }], nextCursor: null });
      expect(await busyRows(added.json().id)).toEqual(EXPECTED_BUSY);

      const after = await slotStarts(ctx, slug, service.id, '2026-03-16', '2026-03-31');
      const offered = (start: string) => after.includes(start);
      expect(offered('2026-03-16T09:00:00.000Z')).toBe(false); // Standup, GMT
      expect(offered('2026-03-16T10:00:00.000Z')).toBe(true);
      expect(offered('2026-03-23T09:00:00.000Z')).toBe(true); // the EXDATE
      expect(offered('2026-03-30T08:00:00.000Z')).toBe(false); // Standup, BST: 09:00 London
      expect(offered('2026-03-30T09:00:00.000Z')).toBe(true);
      expect(offered('2026-03-17T13:00:00.000Z')).toBe(false); // Dentist 13:00–14:30
      expect(offered('2026-03-17T14:00:00.000Z')).toBe(false);
      expect(offered('2026-03-17T15:00:00.000Z')).toBe(true);
      expect(after.filter((s) => s.startsWith('2026-03-18'))).toEqual([]); // all-day offsite
      expect(after.filter((s) => s.startsWith('2026-03-19'))).toHaveLength(8); // free time blocks nothing
      expect(after.filter((s) => s.startsWith('2026-03-20'))).toHaveLength(8); // cancelled event
      expect(before.length - after.length).toBe(1 + 2 + 8 + 1);

      // The booking transaction checks the same blocks.
      const client = await as('POST', '/clients', { email: `${slug}-c@example.com`, name: 'Kim' });
      expect((await as('POST', `/clients/${client.json().id}/grants`, { credits: 2, reason: 'test' })).statusCode).toBe(201);
      const refused = await as('POST', '/bookings', { clientId: client.json().id, serviceId: service.id, start: '2026-03-16T09:00:00.000Z' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('slot_unavailable');
      const booked = await as('POST', '/bookings', { clientId: client.json().id, serviceId: service.id, start: '2026-03-23T09:00:00.000Z' });
      expect(booked.statusCode).toBe(201);
    });

    it('blocks a buffered service’s slots that only its buffer would overlap', async () => {
      const { practitioner, service } = await setUpPractice(ctx);
      const as = call(practitioner.headers);
      const buffered = (await as('POST', '/services', { name: 'With a buffer', durationMinutes: 60, bufferBeforeMinutes: 15 })).json();
      const path = `/${practitioner.practice.slug}-buffer.ics`;
      server.routes.set(path, { body: icsFile(event(['UID:call@elsewhere', 'DTSTART:20260317T130000Z', 'DTEND:20260317T140000Z'])) });
      expect((await as('POST', '/external-calendars', { url: `${server.origin}${path}` })).statusCode).toBe(201);
      await ctx.app.jobs.tick();
      const plain = await slotStarts(ctx, practitioner.practice.slug, service.id, '2026-03-17', '2026-03-17');
      expect(plain).not.toContain('2026-03-17T13:00:00.000Z');
      expect(plain).toContain('2026-03-17T14:00:00.000Z');
      const withBuffer = await slotStarts(ctx, practitioner.practice.slug, buffered.id, '2026-03-17', '2026-03-17');
      expect(withBuffer).not.toContain('2026-03-17T14:00:00.000Z'); // its 15-minute buffer would start inside the call
      expect(withBuffer).toContain('2026-03-17T15:00:00.000Z');
    });

    it('fetches again every 15 minutes, keeps the last busy times when a fetch fails, and frees them when the calendar is removed', async () => {
      const { practitioner, service } = await setUpPractice(ctx);
      const as = call(practitioner.headers);
      const slug = practitioner.practice.slug;
      const path = `/${slug}-refresh.ics`;
      server.routes.set(path, { body: icsFile(ONE_OFF) });
      const added = (await as('POST', '/external-calendars', { url: `${server.origin}${path}` })).json();
      await ctx.app.jobs.tick();
      expect(await busyRows(added.id)).toEqual([['2026-03-17T13:00:00.000Z', '2026-03-17T14:30:00.000Z']]);

      server.routes.set(path, { body: icsFile(event(['UID:moved@elsewhere', 'DTSTART:20260317T100000Z', 'DTEND:20260317T110000Z'])) });
      ctx.clock.advance(14 * 60_000);
      await ctx.app.jobs.tick();
      expect(server.hits.get(path)).toBe(1);
      ctx.clock.advance(60_000);
      await ctx.app.jobs.tick();
      expect(server.hits.get(path)).toBe(2);
      expect(await busyRows(added.id)).toEqual([['2026-03-17T10:00:00.000Z', '2026-03-17T11:00:00.000Z']]);
      expect(await slotStarts(ctx, slug, service.id, '2026-03-17', '2026-03-17')).not.toContain('2026-03-17T10:00:00.000Z');

      server.routes.set(path, { status: 500, body: 'oops' });
      ctx.clock.advance(15 * 60_000);
      await ctx.app.jobs.tick();
      expect((await as('GET', '/external-calendars')).json().items[0]).toMatchObject({ lastError: 'answered HTTP 500', busyCount: 1 });
      expect(await busyRows(added.id)).toHaveLength(1);

      const removed = await as('DELETE', `/external-calendars/${added.id}`);
      expect(removed.statusCode, removed.body).toBe(204);
      expect(await busyRows(added.id)).toEqual([]);
      expect(await slotStarts(ctx, slug, service.id, '2026-03-17', '2026-03-17')).toContain('2026-03-17T10:00:00.000Z');
      expect((await as('GET', '/external-calendars')).json().items).toEqual([]);
      const again = await as('DELETE', `/external-calendars/${added.id}`);
      expect(again.statusCode).toBe(404);
      expect(again.json().code).toBe('not_found');
    });

    it('refuses a bad URL, a duplicate, an 11th calendar, and another practice’s calendar', async () => {
      const { practitioner } = await setUpPractice(ctx);
      const as = call(practitioner.headers);
      for (const url of ['not a url', 'ftp://example.com/cal.ics', 'https://user:secret@example.com/cal.ics']) {
        const res = await as('POST', '/external-calendars', { url });
        expect(res.statusCode, url).toBe(400);
        expect(res.json().errors).toEqual([{ path: '/url', message: expect.any(String) }]);
      }
      const webcal = await as('POST', '/external-calendars', { url: 'webcal://calendar.example.com/me.ics' });
      expect(webcal.statusCode).toBe(201);
      expect(webcal.json().url).toBe('https://calendar.example.com/me.ics');
      const duplicate = await as('POST', '/external-calendars', { url: 'https://calendar.example.com/me.ics' });
      expect(duplicate.statusCode).toBe(409);
      for (let i = 1; i < 10; i++) expect((await as('POST', '/external-calendars', { url: `https://calendar.example.com/${i}.ics` })).statusCode).toBe(201);
      const eleventh = await as('POST', '/external-calendars', { url: 'https://calendar.example.com/11.ics' });
      expect(eleventh.statusCode).toBe(409);
      expect(eleventh.json().code).toBe('conflict');

      const other = await setUpPractice(ctx);
      const theirs = await call(other.practitioner.headers)('DELETE', `/external-calendars/${webcal.json().id}`);
      expect(theirs.statusCode).toBe(404);
      expect((await call(other.practitioner.headers)('GET', '/external-calendars')).json().items).toEqual([]);
      // Nothing is fetched from these in tests: drop them so later ticks stay local.
      await ctx.db.kysely.deleteFrom('jobs').where('kind', '=', 'refresh-external-calendar').where('status', '=', 'pending').execute();
      for (const c of (await as('GET', '/external-calendars')).json().items) await as('DELETE', `/external-calendars/${c.id}`);
    });

    it('is for practitioners only', async () => {
      const anonymous = await call({})('GET', '/external-calendars');
      expect(anonymous.statusCode).toBe(401);
      expect((await call({})('POST', '/external-calendars', { url: 'https://example.com/a.ics' })).statusCode).toBe(401);
    });
  },
  { config: { allowPrivateUrls: true } },
);

describeEachDialect('calendar URLs on private addresses, when they are not allowed', (ctx: TestContext) => {
  it('refuses a loopback address when added, and a name resolving to one when fetched, without contacting it', async () => {
    const { practitioner } = await setUpPractice(ctx);
    const as = (method: 'GET' | 'POST', url: string, payload?: object) => ctx.app.inject({ method, url: `/api/v1${url}`, headers: practitioner.headers, payload });
    const path = `/${practitioner.practice.slug}-private.ics`;
    server.routes.set(path, { body: icsFile(ONE_OFF) });

    const literal = await as('POST', '/external-calendars', { url: `${server.origin}${path}` });
    expect(literal.statusCode).toBe(400);
    expect(literal.json().errors).toEqual([{ path: '/url', message: 'points to a private or loopback address' }]);

    const named = await as('POST', '/external-calendars', { url: `${server.origin.replace('127.0.0.1', 'localhost')}${path}` });
    expect(named.statusCode).toBe(201);
    await ctx.app.jobs.tick();
    expect((await as('GET', '/external-calendars')).json().items[0]).toMatchObject({ lastFetchedAt: null, lastError: 'localhost does not resolve to a public address', busyCount: 0 });
    expect(server.hits.get(path) ?? 0).toBe(0);
  });
});
