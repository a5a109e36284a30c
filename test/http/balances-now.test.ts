import { afterEach, expect, it } from 'vitest';
import { describeEachDialect, type TestContext } from '../support/app.js';
import { as, expectOk, HOUR, shift, type Caller } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';

/*
 * Balances shown to people count only credits usable now (review S3). A lot past its `expiresAt`
 * pays for nothing any more, even before the expiry job has written its `expire` entry, so its
 * available credits show as expired; a figure about one service counts only lots that can pay it.
 */

const CREDITS = { available: 0, held: 0, used: 0, expired: 0 };
// The tests of a dialect share one clock, which only moves forward; London is on GMT in March.
function nextWeekday(from: Date): string {
  let day = shift(from.toISOString(), 24 * HOUR);
  while ([0, 6].includes(new Date(day).getUTCDay())) day = shift(day, 24 * HOUR);
  return day.slice(0, 10);
}

interface World {
  practitioner: Caller;
  client: Caller;
  clientId: string;
  email: string;
  slug: string;
  serviceId: string;
}

async function practiceWithClient(ctx: TestContext): Promise<World> {
  const setup = await setUpPractice(ctx);
  const signedIn = await signInClient(ctx, setup.practitioner.practice.slug);
  return {
    practitioner: as(ctx, setup.practitioner.headers),
    client: as(ctx, signedIn.headers),
    clientId: signedIn.id,
    email: signedIn.email,
    slug: setup.practitioner.practice.slug,
    serviceId: setup.service.id,
  };
}

async function grant(w: World, payload: object): Promise<{ id: string; expiresAt: string | null }> {
  const res = await w.practitioner('POST', `/clients/${w.clientId}/grants`, payload);
  expectOk(res, 201);
  return res.json();
}

/** The mail kept for an address, newest first. */
async function mailTo(ctx: TestContext, email: string): Promise<{ subject: string; text: string }[]> {
  await ctx.app.deps.mail.idle();
  const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(email)}` });
  return res.json().items;
}

describeEachDialect('balances count only credits usable now', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('shows a lot past its expiry, not yet swept, as expired in GET /me, GET /clients, GET /clients/{id}, the booking and its mail', async () => {
    const w = await practiceWithClient(ctx);
    const short = await grant(w, { credits: 2, validityDays: 1, reason: 'a trial' });
    expect(short.expiresAt).toBe('2026-03-03T23:59:59.999Z');
    const lasting = await grant(w, { credits: 2, reason: 'carried over' });

    // Wednesday morning: the short lot expired last night and the expiry job has not run (no tick).
    ctx.clock.set('2026-03-04T08:00:00.000Z');
    const nowCredits = { ...CREDITS, available: 2, expired: 2 };
    const me = (await w.client('GET', '/me')).json();
    expect(me.credits).toEqual(nowCredits);
    expect(me.client.credits).toEqual(nowCredits);
    expect(me.lots.find((l: { id: string }) => l.id === short.id)).toMatchObject({ granted: 2, available: 0, held: 0, used: 0, expired: 2 });
    expect(me.lots.find((l: { id: string }) => l.id === lasting.id)).toMatchObject({ granted: 2, available: 2, expired: 0 });
    expect(me.coverage).toEqual([{ serviceId: w.serviceId, available: 2 }]);

    const detail = (await w.practitioner('GET', `/clients/${w.clientId}`)).json();
    expect(detail.credits).toEqual(nowCredits);
    expect(detail.lots.find((l: { id: string }) => l.id === short.id)).toMatchObject({ available: 0, expired: 2 });
    const list = (await w.practitioner('GET', '/clients')).json();
    expect(list.items.find((c: { id: string }) => c.id === w.clientId).credits).toEqual(nowCredits);

    const [start] = await slotStarts(ctx, w.slug, w.serviceId, '2026-03-04', '2026-03-04');
    const booked = await w.client('POST', '/me/bookings', { serviceId: w.serviceId, start });
    expectOk(booked, 201);
    expect(booked.json().credits).toEqual({ available: 1, held: 1, used: 0, expired: 2 });
    const mails = await mailTo(ctx, w.email);
    expect(mails.find((m) => m.subject.startsWith('Booked:'))!.text).toContain('Paid with 1 credit; 1 credit left.');
    expect(mails.map((m) => m.subject)).toContain('1 credit left with Dana Coaching');

    // The sweep then writes what was already shown.
    await ctx.app.jobs.tick();
    expect((await w.client('GET', '/me')).json().credits).toEqual({ available: 1, held: 1, used: 0, expired: 2 });
    expect((await w.practitioner('GET', `/clients/${w.clientId}`)).json().ledger[0]).toMatchObject({ kind: 'expire', amount: 2, lotId: short.id });
  });

  it('counts an expired lot’s last credits as gone: the booking that spends the only usable one says “used up”', async () => {
    const w = await practiceWithClient(ctx);
    const short = await grant(w, { credits: 3, validityDays: 1, reason: 'a trial' });
    await grant(w, { credits: 1, reason: 'one more' });
    ctx.clock.set(shift(short.expiresAt!, 8 * HOUR)); // 08:00 the morning after it expired
    const day = ctx.clock.now().toISOString().slice(0, 10);
    const [start] = await slotStarts(ctx, w.slug, w.serviceId, day, day);
    const booked = await w.client('POST', '/me/bookings', { serviceId: w.serviceId, start });
    expectOk(booked, 201);
    expect(booked.json().credits).toEqual({ available: 0, held: 1, used: 0, expired: 3 });
    const subjects = (await mailTo(ctx, w.email)).map((m) => m.subject);
    expect(subjects).toContain('Your credits with Dana Coaching are used up');
  });

  it('says how many credits are left for the booked service, not credits only another service can use', async () => {
    const w = await practiceWithClient(ctx);
    const assessment = (await w.practitioner('POST', '/services', { name: 'Assessment', durationMinutes: 30 })).json();
    await grant(w, { credits: 3, serviceIds: [assessment.id], reason: 'assessments only' });
    await grant(w, { credits: 2, reason: 'any session' });
    const day = nextWeekday(ctx.clock.now());
    const [first, second] = await slotStarts(ctx, w.slug, w.serviceId, day, day);

    const once = await w.client('POST', '/me/bookings', { serviceId: w.serviceId, start: first });
    expectOk(once, 201);
    expect(once.json().credits).toEqual({ available: 1, held: 1, used: 0, expired: 0 });
    const twice = await w.client('POST', '/me/bookings', { serviceId: w.serviceId, start: second });
    expectOk(twice, 201);
    expect(twice.json().credits).toEqual({ available: 0, held: 2, used: 0, expired: 0 });

    const mails = await mailTo(ctx, w.email);
    const confirmations = mails.filter((m) => m.subject.startsWith('Booked:')).map((m) => /Paid with [^\n]*/.exec(m.text)![0]);
    expect(confirmations).toEqual(['Paid with 1 credit; 0 credits left for Coaching session.', 'Paid with 1 credit; 1 credit left for Coaching session.']);
    // The 3 assessment credits are still there: neither "1 credit left" nor "used up" is true.
    expect(mails.map((m) => m.subject).filter((s) => /credit left|used up/.test(s))).toEqual([]);
    // The whole balance stays the client's balance.
    expect((await w.client('GET', '/me')).json().credits).toEqual({ available: 3, held: 2, used: 0, expired: 0 });
  });
});
