import { createHash } from 'node:crypto';
import ical, { type VEvent } from 'node-ical';
import { afterEach, expect, it } from 'vitest';
import { describeEachDialect } from '../support/app.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

const PUBLIC_URL = 'https://book.example.com';

// The clock stands at Monday 2026-03-02 08:00Z; the practice is open Mon–Fri 09:00–17:00 London.
describeEachDialect(
  'the practitioner’s calendar feed',
  (ctx) => {
    afterEach(() => expectInvariants(ctx));

    const path = (url: string) => url.replace(PUBLIC_URL, '');
    const fetchFeed = (url: string) => ctx.app.inject({ method: 'GET', url: path(url) });
    const events = (ics: string) =>
      Object.values(ical.sync.parseICS(ics))
        .filter((c): c is VEvent => c?.type === 'VEVENT')
        .sort((a, b) => a.start.getTime() - b.start.getTime());

    it('lists the practice’s upcoming confirmed sessions at a secret URL, with stable UIDs, in the practice’s time zone', async () => {
      const { practitioner, service, pkg } = await setUpPractice(ctx);
      const as = (method: 'POST' | 'DELETE', url: string, payload?: object) => ctx.app.inject({ method, url: `/api/v1${url}`, headers: practitioner.headers, payload });
      const client = await signInClient(ctx, practitioner.practice.slug);
      expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/me/purchases', headers: client.headers, payload: { packageId: pkg.id } })).statusCode).toBe(201);
      const starts = await slotStarts(ctx, practitioner.practice.slug, service.id, '2026-03-02', '2026-03-03');
      const book = async (start: string) => (await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start } })).json().booking;
      const kept = await book(starts[1]!);
      const moved = await book(starts[2]!);
      const cancelled = await book(starts[3]!);
      expect((await as('POST', `/bookings/${moved.id}/reschedule`, { start: starts[8] })).statusCode).toBe(200);
      expect((await as('POST', `/bookings/${cancelled.id}/cancel`, {})).statusCode).toBe(200);

      const created = await as('POST', '/calendar-feed');
      expect(created.statusCode).toBe(201);
      const { url } = created.json();
      expect(url).toMatch(new RegExp(`^${PUBLIC_URL}/api/v1/calendar-feed/tbf_[A-Za-z0-9_-]{43}\\.ics$`));
      const token = /calendar-feed\/(.+)\.ics$/.exec(url)![1]!;
      const stored = await ctx.db.kysely.selectFrom('calendar_feeds').selectAll().where('practice_id', '=', practitioner.practice.id).executeTakeFirstOrThrow();
      expect(stored.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
      expect(JSON.stringify(stored)).not.toContain(token);

      const feed = await fetchFeed(url);
      expect(feed.statusCode).toBe(200);
      expect(feed.headers['content-type']).toBe('text/calendar; charset=utf-8');
      const parsed = ical.sync.parseICS(feed.body);
      expect(parsed.vcalendar?.['WR-CALNAME']).toBe('Dana Coaching');
      const listed = events(feed.body);
      expect(listed.map((e) => [e.uid, Number(e.sequence), e.start.toISOString(), e.end!.toISOString(), e.start.tz, e.summary])).toEqual([
        [`${kept.id}@tallybook`, 0, starts[1], kept.end, 'Europe/London', 'Coaching session: Sam Client'],
        [`${moved.id}@tallybook`, 1, starts[8], new Date(Date.parse(starts[8]!) + 3_600_000).toISOString(), 'Europe/London', 'Coaching session: Sam Client'],
      ]);

      // Sessions that have ended leave the feed.
      ctx.clock.set(kept.end);
      expect(events((await fetchFeed(url)).body).map((e) => e.uid)).toEqual([`${moved.id}@tallybook`]);
      ctx.clock.set('2026-03-02T08:00:00.000Z');
    });

    it('replaces the URL when created again, and stops answering when revoked; unknown tokens are 404', async () => {
      const { practitioner } = await setUpPractice(ctx);
      const as = (method: 'POST' | 'DELETE', url: string) => ctx.app.inject({ method, url: `/api/v1${url}`, headers: practitioner.headers });
      const first = (await as('POST', '/calendar-feed')).json().url;
      expect((await fetchFeed(first)).statusCode).toBe(200);
      const second = (await as('POST', '/calendar-feed')).json().url;
      expect(second).not.toBe(first);
      const old = await fetchFeed(first);
      expect(old.statusCode).toBe(404);
      expect(old.headers['content-type']).toContain('application/problem+json');
      expect((await fetchFeed(second)).statusCode).toBe(200);

      expect((await as('DELETE', '/calendar-feed')).statusCode).toBe(204);
      expect((await fetchFeed(second)).statusCode).toBe(404);
      expect((await as('DELETE', '/calendar-feed')).statusCode).toBe(204);
      expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/calendar-feed/tbf_nothing-here.ics' })).statusCode).toBe(404);
    });

    it('keeps each practice’s sessions in its own feed, and lets only practitioners manage feeds', async () => {
      const a = await setUpPractice(ctx);
      const b = await setUpPractice(ctx);
      const client = await signInClient(ctx, a.practitioner.practice.slug);
      await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: a.practitioner.headers, payload: { credits: 1, reason: 'trial' } });
      const [start] = await slotStarts(ctx, a.practitioner.practice.slug, a.service.id, '2026-03-03', '2026-03-03');
      expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: a.service.id, start } })).statusCode).toBe(201);
      const feedB = (await ctx.app.inject({ method: 'POST', url: '/api/v1/calendar-feed', headers: b.practitioner.headers })).json().url;
      expect(events((await fetchFeed(feedB)).body)).toEqual([]);

      expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/calendar-feed' })).statusCode).toBe(401);
      expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/calendar-feed', headers: client.headers })).statusCode).toBe(403);
    });
  },
  { config: { publicUrl: PUBLIC_URL } },
);
