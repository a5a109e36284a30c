import { afterAll, afterEach, expect, it } from 'vitest';
import { describeEachDialect, TEST_START } from '../support/app.js';
import { inviteOf, mailsTo, recipients, withSubject } from '../support/mail.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts, type PracticeSetup, type SignedInClient } from '../support/scenario.js';
import { startSmtpReceiver } from '../support/smtp-receiver.js';

const smtp = await startSmtpReceiver();
afterAll(() => smtp.close());

const PUBLIC_URL = 'https://book.example.com';
const HOUR_MS = 3_600_000;

// The clock stands at Monday 2026-03-02 08:00Z. New York is on EST (UTC−5) until 2026-03-08.
describeEachDialect(
  'the mail a booking sends',
  (ctx) => {
    afterEach(async () => {
      await expectInvariants(ctx);
      ctx.clock.set(TEST_START);
    });

    const as = (headers: Record<string, string>) => async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
      const res = await ctx.app.inject({ method, url: `/api/v1${url}`, headers, payload });
      await ctx.app.deps.mail.idle();
      return res;
    };

    async function clientWithCredits(setup: PracticeSetup): Promise<SignedInClient> {
      const client = await signInClient(ctx, setup.practitioner.practice.slug);
      expect((await as(client.headers)('POST', '/me/purchases', { packageId: setup.pkg.id })).statusCode).toBe(201);
      return client;
    }

    async function book(client: SignedInClient, serviceId: string, start: string) {
      const res = await as(client.headers)('POST', '/me/bookings', { serviceId, start });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().booking as { id: string; start: string; end: string };
    }

    it('confirms a booking to the client and the practitioner, each with a REQUEST invite in the practice’s time zone', async () => {
      const setup = await setUpPractice(ctx, { practice: { timeZone: 'America/New_York', practiceName: 'Harbor Coaching' } });
      const client = await clientWithCredits(setup);
      const [start] = await slotStarts(ctx, setup.practitioner.practice.slug, setup.service.id, '2026-03-03', '2026-03-03');
      expect(start).toBe('2026-03-03T14:00:00.000Z'); // 09:00 in New York
      const booking = await book(client, setup.service.id, start!);

      const toClient = withSubject(await mailsTo(smtp, client.email, 3), 'Booked:');
      expect(toClient.subject).toBe('Booked: Coaching session with Harbor Coaching, Tue 3 Mar, 09:00');
      expect(toClient.text).toContain('Tuesday 3 March 2026, 09:00–10:00 (America/New_York)');
      expect(toClient.text).toContain('Paid with 1 credit; 4 credits left.');
      expect(toClient.text).toContain(`${PUBLIC_URL}/${setup.practitioner.practice.slug}/me`);
      expect(toClient.html).toContain('<p>Hello Sam Client,</p>');
      expect(toClient.html).toContain('Harbor Coaching');

      const invite = inviteOf(toClient);
      expect(invite.method).toBe('REQUEST');
      // nodemailer's icalEvent: one text/calendar alternative and one invite.ics, not attached twice.
      expect([invite.calendarParts, invite.files]).toEqual([1, 1]);
      expect(invite.event.uid).toBe(`${booking.id}@tallybook`);
      expect(Number(invite.event.sequence)).toBe(0);
      expect(invite.event.start.toISOString()).toBe('2026-03-03T14:00:00.000Z');
      expect(invite.event.end!.toISOString()).toBe('2026-03-03T15:00:00.000Z');
      expect(invite.event.start.tz).toBe('America/New_York');
      expect(invite.timeZones).toEqual(['America/New_York']);
      expect(invite.event.summary).toBe('Coaching session with Harbor Coaching');

      const [toPractitioner] = await mailsTo(smtp, setup.practitioner.email, 1);
      expect(toPractitioner!.subject).toBe('New booking: Sam Client, Coaching session, Tue 3 Mar, 09:00');
      expect(toPractitioner!.text).toContain('Tuesday 3 March 2026, 09:00–10:00 (America/New_York)');
      const theirs = inviteOf(toPractitioner!);
      expect(theirs.method).toBe('REQUEST');
      expect(theirs.event.uid).toBe(`${booking.id}@tallybook`);
      expect(theirs.event.start.toISOString()).toBe('2026-03-03T14:00:00.000Z');

      const row = await ctx.db.kysely.selectFrom('mail_outbox').select(['message_id', 'status']).where('to_address', '=', client.email).where('subject', 'like', 'Booked:%').executeTakeFirstOrThrow();
      expect(row.status).toBe('sent');
      expect(toClient.messageId).toBe(row.message_id);
    });

    it('mails a move with the same UID and the booking’s raised SEQUENCE, to both sides', async () => {
      const setup = await setUpPractice(ctx);
      const client = await clientWithCredits(setup);
      const starts = await slotStarts(ctx, setup.practitioner.practice.slug, setup.service.id, '2026-03-03', '2026-03-04');
      const booking = await book(client, setup.service.id, starts[0]!);
      const moved = await as(client.headers)('POST', `/me/bookings/${booking.id}/reschedule`, { start: starts[3] });
      expect(moved.statusCode).toBe(200);
      const again = await as(setup.practitioner.headers)('POST', `/bookings/${booking.id}/reschedule`, { start: starts[9] });
      expect(again.statusCode).toBe(200);

      const mails = (await mailsTo(smtp, client.email, 5)).filter((m) => m.subject?.startsWith('Moved:'));
      expect(mails.map((m) => m.subject)).toEqual(['Moved: Coaching session with Dana Coaching, now Tue 3 Mar, 12:00', 'Moved: Coaching session with Dana Coaching, now Wed 4 Mar, 10:00']);
      expect(mails[0]!.text).toContain('Now: Tuesday 3 March 2026, 12:00–13:00 (Europe/London)\nBefore: Tuesday 3 March 2026, 09:00–10:00 (Europe/London)');
      const invites = mails.map(inviteOf);
      expect(invites.map((i) => [i.method, i.event.uid, Number(i.event.sequence), i.event.start.toISOString()])).toEqual([
        ['REQUEST', `${booking.id}@tallybook`, 1, starts[3]],
        ['REQUEST', `${booking.id}@tallybook`, 2, starts[9]],
      ]);
      const row = await ctx.db.kysely.selectFrom('bookings').select('sequence').where('id', '=', booking.id).executeTakeFirstOrThrow();
      expect(row.sequence).toBe(2);

      const practitionerMoves = (await mailsTo(smtp, setup.practitioner.email, 3)).filter((m) => m.subject?.startsWith('Moved:'));
      expect(practitionerMoves.map((m) => Number(inviteOf(m).event.sequence))).toEqual([1, 2]);
    });

    it.each([
      {
        title: 'a timely cancellation returns the credit',
        policy: {},
        dayOffset: 1,
        client: 'Your credit was returned.',
        practitioner: 'Sam Client’s credit was returned.',
      },
      {
        title: 'a late cancellation under a forfeit policy uses the credit',
        policy: {},
        dayOffset: 0,
        client: 'The late cancellation used your credit.',
        practitioner: 'The late cancellation used Sam Client’s credit.',
      },
      {
        title: 'a late cancellation under a fee policy returns the credit and owes the fee',
        policy: { lateCancel: 'fee', lateCancelFee: { amount: 2000, currency: 'USD' } },
        dayOffset: 0,
        client: 'Your credit was returned, and a fee of $20.00 is owed for the late cancellation.',
        practitioner: 'Sam Client’s credit was returned, and a fee of $20.00 is owed for the late cancellation.',
      },
    ])('cancels with METHOD:CANCEL and the same UID, stating the outcome: $title', async ({ policy, dayOffset, client: clientWords, practitioner: practitionerWords }) => {
      const setup = await setUpPractice(ctx);
      expect((await as(setup.practitioner.headers)('PATCH', '/practice', { policy })).statusCode).toBe(200);
      const client = await clientWithCredits(setup);
      const day = dayOffset === 0 ? '2026-03-02' : '2026-03-03';
      const [start] = await slotStarts(ctx, setup.practitioner.practice.slug, setup.service.id, day, day);
      const booking = await book(client, setup.service.id, start!);
      const cancelled = await as(client.headers)('POST', `/me/bookings/${booking.id}/cancel`, {});
      expect(cancelled.statusCode).toBe(200);

      const mail = withSubject(await mailsTo(smtp, client.email, 4), 'Cancelled:');
      expect(mail.text).toContain('You cancelled your session:');
      expect(mail.text).toContain(clientWords);
      const invite = inviteOf(mail);
      expect(invite.method).toBe('CANCEL');
      expect(invite.event.uid).toBe(`${booking.id}@tallybook`);
      expect(invite.event.status).toBe('CANCELLED');
      expect(Number(invite.event.sequence)).toBe(1);
      expect(invite.event.start.toISOString()).toBe(start);

      const theirs = withSubject(await mailsTo(smtp, setup.practitioner.email, 2), 'Cancelled:');
      expect(theirs.text).toContain('Sam Client cancelled the session:');
      expect(theirs.text).toContain(practitionerWords);
      expect(inviteOf(theirs).method).toBe('CANCEL');
    });

    it('tells the client when the practitioner cancels, and does not mail a repeated cancel twice', async () => {
      const setup = await setUpPractice(ctx);
      const client = await clientWithCredits(setup);
      const [start] = await slotStarts(ctx, setup.practitioner.practice.slug, setup.service.id, '2026-03-02', '2026-03-02');
      const booking = await book(client, setup.service.id, start!);
      for (let i = 0; i < 2; i++) expect((await as(setup.practitioner.headers)('POST', `/bookings/${booking.id}/cancel`, {})).statusCode).toBe(200);
      const mails = await mailsTo(smtp, client.email, 4);
      const mail = withSubject(mails, 'Cancelled:');
      expect(mail.text).toContain('Dana Coaching cancelled your session:');
      expect(mail.text).toContain('Your credit was returned.');
    });

    it('reminds the client 24 hours before, once; a moved booking is reminded at its new time only, a cancelled one not at all', async () => {
      const setup = await setUpPractice(ctx);
      const client = await clientWithCredits(setup);
      const starts = await slotStarts(ctx, setup.practitioner.practice.slug, setup.service.id, '2026-03-04', '2026-03-06');
      const kept = await book(client, setup.service.id, starts[0]!); // Wed 09:00Z
      const moved = await book(client, setup.service.id, starts[1]!); // Wed 10:00Z, moved to Fri
      const dropped = await book(client, setup.service.id, starts[2]!); // Wed 11:00Z, cancelled
      const friday = starts.find((s) => s.startsWith('2026-03-06'))!;
      expect((await as(client.headers)('POST', `/me/bookings/${moved.id}/reschedule`, { start: friday })).statusCode).toBe(200);
      expect((await as(client.headers)('POST', `/me/bookings/${dropped.id}/cancel`, {})).statusCode).toBe(200);
      const reminders = () => smtp.mails.filter((m) => m.subject?.startsWith('Reminder:') && recipients(m).includes(client.email));

      const tickAt = async (instant: number) => {
        ctx.clock.set(new Date(instant));
        await ctx.app.jobs.tick();
        await ctx.app.jobs.tick();
      };
      await tickAt(Date.parse(kept.start) - 24 * HOUR_MS - 60_000);
      expect(reminders()).toHaveLength(0);
      await tickAt(Date.parse(starts[2]!) - 24 * HOUR_MS); // all three Wednesday reminders are due now
      await mailsTo(smtp, client.email, 1);
      expect(reminders().map((m) => m.subject)).toEqual(['Reminder: Coaching session with Dana Coaching, Wed 4 Mar, 09:00']);
      expect(reminders()[0]!.text).toContain('Wednesday 4 March 2026, 09:00–10:00 (Europe/London)');
      expect(reminders()[0]!.text).toContain(`${PUBLIC_URL}/${setup.practitioner.practice.slug}/me`);
      await tickAt(Date.parse(friday) - 24 * HOUR_MS);
      expect(reminders().map((m) => m.subject)).toEqual(['Reminder: Coaching session with Dana Coaching, Wed 4 Mar, 09:00', 'Reminder: Coaching session with Dana Coaching, Fri 6 Mar, 09:00']);
      await tickAt(Date.parse(friday) - 60_000);
      expect(reminders()).toHaveLength(2);
    });

    it('sends a receipt, then "1 credit left" and "used up" with a link to buy the next package', async () => {
      const setup = await setUpPractice(ctx);
      const slug = setup.practitioner.practice.slug;
      const client = await clientWithCredits(setup);
      const receipt = withSubject(await mailsTo(smtp, client.email, 2), 'Receipt:');
      expect(receipt.subject).toBe('Receipt: 5 sessions from Dana Coaching');
      expect(receipt.text).toContain('5 sessions: 5 credits\nPaid: $400.00 on Monday 2 March 2026');
      expect(receipt.text).toContain('They can be used for sessions until Saturday 29 August 2026.');

      const starts = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
      for (const start of starts.slice(0, 3)) await book(client, setup.service.id, start);
      const balanceMails = async () => (await mailsTo(smtp, client.email)).filter((m) => m.subject?.includes('credit left') || m.subject?.includes('used up'));
      expect(await balanceMails()).toHaveLength(0);
      await book(client, setup.service.id, starts[3]!);
      const low = withSubject(await mailsTo(smtp, client.email, 7), '1 credit left');
      expect(low.subject).toBe('1 credit left with Dana Coaching');
      expect(low.text).toContain(`Buy the next package: ${PUBLIC_URL}/${slug}`);
      expect(low.html).toContain(`<a href="${PUBLIC_URL}/${slug}">Buy the next package</a>`);
      await book(client, setup.service.id, starts[4]!);
      const out = withSubject(await mailsTo(smtp, client.email, 9), 'Your credits with');
      expect(out.subject).toBe('Your credits with Dana Coaching are used up');
      expect(out.text).toContain(`${PUBLIC_URL}/${slug}`);
    });

    it('warns 7 days before unused credits expire, and not when nothing is left to expire', async () => {
      const setup = await setUpPractice(ctx, { pkg: { validityDays: 10 } });
      const unused = await clientWithCredits(setup);
      const spent = await signInClient(ctx, setup.practitioner.practice.slug);
      const grant = await as(setup.practitioner.headers)('POST', `/clients/${spent.id}/grants`, { credits: 1, validityDays: 10, reason: 'trial' });
      expect(grant.statusCode).toBe(201);
      const [start] = await slotStarts(ctx, setup.practitioner.practice.slug, setup.service.id, '2026-03-03', '2026-03-03');
      await book(spent, setup.service.id, start!);

      const warnings = (email: string) => smtp.mails.filter((m) => m.subject?.includes('expire') && recipients(m).includes(email));
      // Lots expire at the end of 12 March (London); the warning is due at the end of 5 March.
      ctx.clock.set('2026-03-05T23:00:00.000Z');
      await ctx.app.jobs.tick();
      expect(warnings(unused.email)).toHaveLength(0);
      ctx.clock.set('2026-03-06T00:00:00.000Z');
      await ctx.app.jobs.tick();
      await ctx.app.jobs.tick();
      await mailsTo(smtp, unused.email, 3);
      expect(warnings(unused.email).map((m) => m.subject)).toEqual(['5 credits with Dana Coaching expire on Thursday 12 March 2026']);
      expect(warnings(unused.email)[0]!.text).toContain(`Book a session: ${PUBLIC_URL}/${setup.practitioner.practice.slug}`);
      expect(warnings(spent.email)).toHaveLength(0);
    });
  },
  { config: { smtpUrl: smtp.url, publicUrl: PUBLIC_URL } },
);

