import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/domain/instants.js';
import { cleanUp } from '../../src/jobs/cleanup.js';
import { describeEachDialect, TEST_START } from '../support/app.js';

const RETENTION_DAYS = 30;
const at = (msAgo: number) => new Date(Date.parse(TEST_START) - msAgo).toISOString();
const ago = { minutes: (n: number) => at(n * MINUTE_MS), hours: (n: number) => at(n * HOUR_MS), days: (n: number) => at(n * DAY_MS) };
const ahead = (ms: number) => at(-ms);

describeEachDialect(
  'the cleanup sweep',
  (ctx) => {
    let practiceCount = 0;
    async function practiceWithUser(): Promise<{ practiceId: string; userId: string }> {
      const practiceId = `practice-${++practiceCount}`;
      const userId = `user-${practiceCount}`;
      await ctx.db.kysely.insertInto('practices').values({ id: practiceId, name: 'Studio', slug: `studio-${practiceCount}`, time_zone: 'Europe/London', currency: 'USD', policy_json: '{}', created_at: ago.days(400) }).execute();
      await ctx.db.kysely.insertInto('users').values({ id: userId, practice_id: practiceId, email: `${userId}@example.com`, name: 'Dana', password_hash: 'x', created_at: ago.days(400) }).execute();
      return { practiceId, userId };
    }
    const ids = async (table: 'sessions' | 'login_codes' | 'idempotency_keys' | 'rate_limits' | 'jobs' | 'mail_outbox' | 'password_resets', column: string, prefix: string) =>
      ((await ctx.db.kysely.selectFrom(table).select(`${column} as key` as never).execute()) as unknown as { key: string }[]).map((r) => r.key).filter((k) => k.startsWith(prefix)).sort();

    it('deletes, on the runner’s tick, what is past its time and keeps what is not', async () => {
      const { practiceId, userId } = await practiceWithUser();
      const session = (id: string, expiresAt: string) => ({ token_hash: `s-${id}`, kind: 'user' as const, practice_id: practiceId, user_id: userId, client_id: null, created_at: ago.days(60), expires_at: expiresAt });
      await ctx.db.kysely.insertInto('sessions').values([session('expired', ago.minutes(1)), session('live', ahead(MINUTE_MS))]).execute();
      const code = (id: string, expiresAt: string, usedAt: string | null) => ({ id: `c-${id}`, practice_id: practiceId, email: 'sam@example.com', name: null, code_hash: 'salt:hash', attempts: 0, expires_at: expiresAt, used_at: usedAt, created_at: ago.minutes(20) });
      await ctx.db.kysely.insertInto('login_codes').values([code('expired', ago.minutes(1), null), code('used', ahead(5 * MINUTE_MS), ago.minutes(2)), code('live', ahead(5 * MINUTE_MS), null)]).execute();
      const reset = (id: string, expiresAt: string, usedAt: string | null) => ({ token_hash: `r-${id}`, user_id: userId, expires_at: expiresAt, used_at: usedAt });
      await ctx.db.kysely.insertInto('password_resets').values([reset('expired', ago.minutes(1), null), reset('used', ahead(HOUR_MS), ago.minutes(2)), reset('live', ahead(HOUR_MS), null)]).execute();
      const key = (id: string, createdAt: string) => ({ scope: `k-${id}`, request_hash: 'h', status_code: 201, response_json: '{}', created_at: createdAt });
      await ctx.db.kysely.insertInto('idempotency_keys').values([key('old', ago.hours(25)), key('fresh', ago.hours(23))]).execute();
      const hits = (id: string, windowStart: string) => ({ bucket: `b-${id}`, window_start: windowStart, count: 3 });
      await ctx.db.kysely.insertInto('rate_limits').values([hits('old', ago.days(2)), hits('current', ago.minutes(1))]).execute();
      const job = (id: string, status: 'pending' | 'done' | 'failed', runAt: string) => ({ id: `j-${id}`, kind: 'lot-expiry-warning', payload_json: '{}', dedupe_key: `j-${id}`, run_at: runAt, status, attempts: 1, locked_until: null, last_error: null, consecutive_failures: 0, created_at: runAt });
      await ctx.db.kysely
        .insertInto('jobs')
        .values([job('done-old', 'done', ago.days(RETENTION_DAYS + 1)), job('done-recent', 'done', ago.days(RETENTION_DAYS - 1)), job('failed-old', 'failed', ago.days(90)), job('pending-old', 'pending', ago.days(90))])
        .execute();
      // A pending job from 90 days ago would run on this tick; lease it to another process so the test sees it kept.
      await ctx.db.kysely.updateTable('jobs').set({ locked_until: ahead(HOUR_MS) }).where('id', '=', 'j-pending-old').execute();
      const mail = (id: string, status: 'pending' | 'sent' | 'kept' | 'failed' | 'cancelled', createdAt: string) => ({
        id: `m-${id}`, practice_id: practiceId, client_id: null, message_id: `<m-${id}@test>`, to_address: 'sam@example.com', subject: 'Hello', text: 'Hello', html: null, ics: null, ics_method: null,
        status, attempts: 0, next_attempt_at: ahead(HOUR_MS), last_error: null, created_at: createdAt, sent_at: status === 'sent' ? createdAt : null,
      });
      await ctx.db.kysely
        .insertInto('mail_outbox')
        .values([
          mail('sent-old', 'sent', ago.days(RETENTION_DAYS + 1)), mail('sent-recent', 'sent', ago.days(RETENTION_DAYS - 1)),
          mail('kept-old', 'kept', ago.days(RETENTION_DAYS + 1)), mail('cancelled-old', 'cancelled', ago.days(RETENTION_DAYS + 1)),
          mail('failed-old', 'failed', ago.days(90)), mail('pending-old', 'pending', ago.days(90)),
        ])
        .execute();

      await ctx.app.jobs.tick();

      expect(await ids('sessions', 'token_hash', 's-')).toEqual(['s-live']);
      expect(await ids('login_codes', 'id', 'c-')).toEqual(['c-live']);
      expect(await ids('password_resets', 'token_hash', 'r-')).toEqual(['r-live']);
      expect(await ids('idempotency_keys', 'scope', 'k-')).toEqual(['k-fresh']);
      expect(await ids('rate_limits', 'bucket', 'b-')).toEqual(['b-current']);
      expect(await ids('jobs', 'id', 'j-')).toEqual(['j-done-recent', 'j-failed-old', 'j-pending-old']);
      expect(await ids('mail_outbox', 'id', 'm-')).toEqual(['m-failed-old', 'm-pending-old', 'm-sent-recent']);
      // The sweep is a recurring job like the others: it is due again later, not done.
      expect(await ctx.db.kysely.selectFrom('jobs').select(['status', 'run_at']).where('kind', '=', 'clean-up').executeTakeFirst()).toMatchObject({ status: 'pending' });
    });

    it('deletes in bounded batches, each its own short transaction, and leaves the rest of a backlog to the next sweep', async () => {
      const { practiceId, userId } = await practiceWithUser();
      const expired = Array.from({ length: 25 }, (_, i) => ({ token_hash: `backlog-${String(i).padStart(2, '0')}`, kind: 'user' as const, practice_id: practiceId, user_id: userId, client_id: null, created_at: ago.days(60), expires_at: ago.days(1) }));
      await ctx.db.kysely.insertInto('sessions').values(expired).execute();
      const limits = { retentionDays: RETENTION_DAYS, batchRows: 10, batchesMax: 2 };

      const first = await cleanUp(ctx.db, limits, ctx.clock.now());
      expect(first.sessions).toBe(20);
      expect(await ids('sessions', 'token_hash', 'backlog-')).toHaveLength(5);
      const second = await cleanUp(ctx.db, limits, ctx.clock.now());
      expect(second.sessions).toBe(5);
      expect(await ids('sessions', 'token_hash', 'backlog-')).toEqual([]);
    });
  },
  { config: { retentionDays: RETENTION_DAYS } },
);

it('reads the retention from RETENTION_DAYS, 30 days unless set, and refuses a retention under one day', () => {
  expect(loadConfig({}).retentionDays).toBe(30);
  expect(loadConfig({ RETENTION_DAYS: '90' }).retentionDays).toBe(90);
  expect(() => loadConfig({ RETENTION_DAYS: '0' })).toThrow(/RETENTION_DAYS/);
  expect(() => loadConfig({ RETENTION_DAYS: 'a month' })).toThrow(/RETENTION_DAYS/);
});
