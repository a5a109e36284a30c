import { afterEach, expect, it } from 'vitest';
import type { Db } from '../../src/db/create-db.js';
import { DAY_MS } from '../../src/domain/instants.js';
import { latestMail, sessionCookie } from '../support/api.js';
import { describeEachDialect } from '../support/app.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

interface Trace {
  table: string;
  column: string;
  row: Record<string, unknown>;
}

/** Every cell of every table (every column, both dialects) that mentions one of the needles; ICS lines unfolded first. */
async function tracesOf(db: Db, needles: string[]): Promise<Trace[]> {
  const found: Trace[] = [];
  for (const table of await db.kysely.introspection.getTables()) {
    const rows = (await db.kysely.selectFrom(table.name as never).selectAll().execute()) as Record<string, unknown>[];
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        const text = String(value).replace(/\r?\n[ \t]/g, '').toLowerCase();
        if (needles.some((n) => text.includes(n))) found.push({ table: table.name, column, row });
      }
    }
  }
  return found;
}

describeEachDialect('erasing a client', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('replaces name and email with a tombstone, ends their sessions and blanks their mail, keeping the ledger whole', async () => {
    const { practitioner, service, pkg } = await setUpPractice(ctx);
    const slug = practitioner.practice.slug;
    const client = await signInClient(ctx, slug, 'erase.me@example.com');
    await ctx.app.inject({ method: 'POST', url: `/api/v1/clients/${client.id}/grants`, headers: practitioner.headers, payload: { packageId: pkg.id, payment: 'manual' } });
    const [start] = await slotStarts(ctx, slug, service.id, '2026-03-03', '2026-03-03');
    const booked = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/bookings', headers: client.headers, payload: { serviceId: service.id, start } });
    const erase = () => ctx.app.inject({ method: 'DELETE', url: `/api/v1/clients/${client.id}`, headers: practitioner.headers });

    const refused = await erase();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toContain('upcoming sessions');
    await ctx.app.inject({ method: 'POST', url: `/api/v1/bookings/${booked.json().booking.id}/cancel`, headers: practitioner.headers, payload: {} });
    const before = (await ctx.app.inject({ method: 'GET', url: `/api/v1/clients/${client.id}`, headers: practitioner.headers })).json();

    const erased = await erase();
    expect(erased.statusCode).toBe(200);
    expect(erased.json()).toMatchObject({ id: client.id, name: 'Erased client', credits: before.credits });
    expect(erased.json().email).not.toContain('erase.me');

    const after = (await ctx.app.inject({ method: 'GET', url: `/api/v1/clients/${client.id}`, headers: practitioner.headers })).json();
    expect(after.ledger).toEqual(before.ledger);
    expect(after.lots).toEqual(before.lots);
    expect(after.bookings).toEqual(before.bookings);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: client.headers })).statusCode).toBe(401);
    const outbox = await ctx.app.inject({ method: 'GET', url: '/api/v1/dev/outbox?to=erase.me@example.com' });
    expect(outbox.json().items).toEqual([]);
    const search = await ctx.app.inject({ method: 'GET', url: '/api/v1/clients?q=erase.me', headers: practitioner.headers });
    expect(search.json().items).toEqual([]);
  });

  it('leaves no trace of the client’s name or email in any table, but the reasons a practitioner typed into the immutable ledger', async () => {
    const { practitioner, service, pkg } = await setUpPractice(ctx);
    const slug = practitioner.practice.slug;
    const name = 'Zelda Quillfeather';
    const email = 'zelda_quillfeather@example.com';
    const needles = ['zelda', 'quillfeather'];
    let keys = 0;
    const p = (method: 'POST' | 'DELETE', url: string, payload?: object) =>
      ctx.app.inject({ method, url: `/api/v1${url}`, headers: { ...practitioner.headers, 'idempotency-key': `key-${++keys}` }, ...(payload ? { payload } : {}) });

    // She signs in on the booking page (a new client, named by herself), then once more.
    for (let i = 0; i < 2; i++) await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/code`, payload: { email, name } });
    const code = /code: (\d{6})/.exec((await latestMail(ctx, email))!.subject)![1]!;
    const verified = await ctx.app.inject({ method: 'POST', url: `/api/v1/public/${slug}/auth/verify`, payload: { email, code } });
    expect(verified.json().client.name).toBe(name);
    const clientId = verified.json().client.id as string;
    const client = (method: 'POST', url: string, payload: object) =>
      ctx.app.inject({ method, url: `/api/v1${url}`, headers: { cookie: sessionCookie(verified.headers['set-cookie'], 'tb_client'), 'idempotency-key': url }, payload });

    // A package sold by hand (a receipt, an expiry warning job) and credits with a reason the practitioner typed.
    expect((await p('POST', `/clients/${clientId}/grants`, { packageId: pkg.id, payment: 'manual' })).statusCode).toBe(201);
    const typedReason = `for ${name}, who referred two friends`;
    expect((await p('POST', `/clients/${clientId}/grants`, { credits: 1, validityDays: 30, reason: typedReason })).statusCode).toBe(201);
    // She books (both sides get an invite naming her, a reminder is scheduled) and cancels, saying why.
    const [start] = await slotStarts(ctx, slug, service.id, '2026-03-03', '2026-03-03');
    const booked = await client('POST', '/me/bookings', { serviceId: service.id, start });
    expect(booked.statusCode).toBe(201);
    const bookingId = booked.json().booking.id as string;
    const cancelReason = `${name} is ill, please call ${email}`;
    expect((await client('POST', `/me/bookings/${bookingId}/cancel`, { reason: cancelReason })).statusCode).toBe(200);
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/v1/clients/${clientId}`, headers: practitioner.headers })).json();
    expect(detail.bookings[0].cancelReason).toBe(cancelReason);
    await ctx.app.deps.mail.idle();

    const before = await tracesOf(ctx.db, needles);
    const tables = new Set(before.map((t) => t.table));
    for (const table of ['clients', 'mail_outbox', 'bookings', 'login_codes', 'rate_limits', 'ledger_entries']) expect(tables, table).toContain(table);
    const practitionerCopies = before.filter((t) => t.table === 'mail_outbox' && t.row.to_address === practitioner.email);
    expect(practitionerCopies.map((t) => t.column)).toEqual(expect.arrayContaining(['subject', 'text', 'ics']));
    const herIds = [bookingId, ...detail.lots.map((l: { id: string }) => l.id)];
    const herPendingJobs = async () =>
      (await ctx.db.kysely.selectFrom('jobs').select(['kind', 'payload_json']).where('status', '=', 'pending').execute()).filter((j) => herIds.some((id) => j.payload_json.includes(id))).map((j) => j.kind).sort();
    expect(await herPendingJobs()).toEqual(['booking-reminder', 'lot-expiry-warning', 'lot-expiry-warning']);

    const erasedAt = ctx.clock.now().toISOString();
    expect((await p('DELETE', `/clients/${clientId}`)).statusCode).toBe(200);

    // Kept: the reason the practitioner typed into the grant, an immutable ledger entry (see erase-client.ts).
    const after = await tracesOf(ctx.db, needles);
    expect(after.map((t) => [t.table, t.column, t.row.kind, t.row.reason])).toEqual([['ledger_entries', 'reason', 'grant', typedReason]]);
    const erased = (await ctx.app.inject({ method: 'GET', url: `/api/v1/clients/${clientId}`, headers: practitioner.headers })).json();
    expect(erased.bookings[0]).toMatchObject({ id: bookingId, status: 'cancelled', cancelReason: null });

    // Her pending jobs are gone: months later nothing is mailed about her, nothing fails.
    expect(await herPendingJobs()).toEqual([]);
    for (const days of [1, 30, 180, 200]) {
      ctx.clock.set(new Date(Date.parse(erasedAt) + days * DAY_MS));
      await ctx.app.jobs.tick();
    }
    await ctx.app.deps.mail.idle();
    const later = await ctx.db.kysely.selectFrom('mail_outbox').select(['to_address', 'subject', 'status']).where('created_at', '>', erasedAt).execute();
    expect(later).toEqual([]);
    expect(await ctx.db.kysely.selectFrom('mail_outbox').select('status').where('status', '=', 'pending').execute()).toEqual([]);
    expect(await ctx.db.kysely.selectFrom('jobs').select(['kind', 'last_error']).where('last_error', 'is not', null).execute()).toEqual([]);
    ctx.clock.set(erasedAt);
  });

  it('answers 404 for a client of another practice', async () => {
    const a = await setUpPractice(ctx);
    const b = await setUpPractice(ctx);
    const client = await signInClient(ctx, a.practitioner.practice.slug);
    const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/clients/${client.id}`, headers: b.practitioner.headers });
    expect(res.statusCode).toBe(404);
  });
});
