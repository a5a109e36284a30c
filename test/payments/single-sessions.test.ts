import { afterEach, beforeEach, expect, it } from 'vitest';
import { TEST_START } from '../support/app.js';
import { as, MINUTE } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';
import { describeWithStripe, payAndConfirm, sessionOf, type StripeTestContext } from '../support/stripe-app.js';

async function outbox(ctx: StripeTestContext, email: string): Promise<{ subject: string; text: string }[]> {
  await ctx.app.deps.mail.idle();
  return (await ctx.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(email)}` })).json().items;
}

/** A priced service ($90 alone), a client without credits who pays for Tuesday 09:00 alone. */
async function singleSession(ctx: StripeTestContext) {
  const setup = await setUpPractice(ctx, { service: { name: 'Coaching session', durationMinutes: 60, price: { amount: 9000, currency: 'USD' } } });
  const slug = setup.practitioner.practice.slug;
  const client = await signInClient(ctx, slug);
  const me = as(ctx, client.headers);
  const [start] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
  const res = await me('POST', '/me/bookings', { serviceId: setup.service.id, start, payment: 'single' });
  expect(res.statusCode, res.body).toBe(201);
  const { booking, checkoutUrl } = res.json() as { booking: { id: string; status: string }; checkoutUrl: string };
  const offered = async () => (await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03')).includes(start!);
  const bookingNow = async () => ((await me('GET', '/me/bookings')).json().items as { id: string; status: string; cancelReason: string | null }[]).find((b) => b.id === booking.id)!;
  return { setup, slug, client, me, start: start!, booking, checkoutUrl, offered, bookingNow, practitioner: as(ctx, setup.practitioner.headers) };
}

describeWithStripe('single sessions paid through Stripe', (ctx) => {
  beforeEach(() => ctx.clock.set(TEST_START));
  afterEach(() => expectInvariants(ctx));

  it('holds the slot as pending_payment for 30 minutes with a Checkout that expires with it, and confirms it when paid', async () => {
    const { setup, slug, client, booking, checkoutUrl, offered, bookingNow, start } = await singleSession(ctx);
    expect(booking).toMatchObject({ status: 'pending_payment', payment: { kind: 'single', credits: 0 } });
    const [sent] = ctx.stripe.requestsTo('/v1/checkout/sessions', 'POST').filter((r) => r.body.metadata?.booking_id === booking.id);
    expect(sent!.idempotencyKey).toBe(`tallybook-booking-${booking.id}`);
    expect(sent!.body).toMatchObject({
      line_items: [{ price_data: { currency: 'usd', unit_amount: '9000' } }],
      metadata: { purpose: 'booking', booking_id: booking.id, client_id: client.id },
      expires_at: String(Math.floor(ctx.clock.now().getTime() / 1000) + 30 * 60),
      success_url: `${ctx.config.publicUrl}/${slug}?checkout=success&booking=${booking.id}`,
    });
    expect(await offered()).toBe(false);
    const other = await signInClient(ctx, slug);
    await as(ctx, setup.practitioner.headers)('POST', `/clients/${other.id}/grants`, { credits: 1, reason: 'gift' });
    expect((await as(ctx, other.headers)('POST', '/me/bookings', { serviceId: setup.service.id, start })).json().code).toBe('slot_unavailable');
    expect(await outbox(ctx, client.email)).toHaveLength(1); // the sign-in code only: no invite before payment

    const session = await payAndConfirm(ctx, checkoutUrl);
    expect(await bookingNow()).toMatchObject({ status: 'confirmed', cancelReason: null });
    const subjects = (await outbox(ctx, client.email)).map((m) => m.subject);
    expect(subjects).toEqual(expect.arrayContaining([expect.stringMatching(/^Booked: Coaching session/), 'Receipt: $90.00 to Dana Coaching']));
    const receipt = (await outbox(ctx, client.email)).find((m) => m.subject.startsWith('Receipt'))!;
    expect(receipt.text).toContain(`Charge: ${ctx.stripe.chargeOf(session.id).id} (Stripe)`);
    expect(receipt.text).toContain('Coaching session, Tuesday 3 March 2026, 09:00–10:00');
  });

  it('releases the slot when the Checkout expires (cancelled, payment_expired); a payment that still arrives books it again while it is free', async () => {
    const { checkoutUrl, offered, bookingNow } = await singleSession(ctx);
    const id = sessionOf(ctx, checkoutUrl).id;
    const expiredSnapshot = { ...ctx.stripe.sessions.get(id)!, status: 'expired' as const, url: null };
    const paid = ctx.stripe.pay(id); // Stripe took the payment; its events arrive out of order
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.expired', expiredSnapshot))).statusCode).toBe(200);
    expect(await bookingNow()).toMatchObject({ status: 'cancelled', cancelReason: 'payment_expired' });
    expect(await offered()).toBe(true);
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.completed', paid))).body.outcome).toBe('processed');
    expect(await bookingNow()).toMatchObject({ status: 'confirmed', cancelReason: null });
    expect(await offered()).toBe(false);
    expect(ctx.stripe.refunds).not.toContainEqual(expect.objectContaining({ payment_intent: paid.payment_intent }));
  });

  it('refunds a payment that arrives after the slot was released and taken, and tells the client', async () => {
    const { setup, slug, client, start, checkoutUrl, bookingNow } = await singleSession(ctx);
    const id = sessionOf(ctx, checkoutUrl).id;
    const expiredSnapshot = { ...ctx.stripe.sessions.get(id)!, status: 'expired' as const, url: null };
    const paid = ctx.stripe.pay(id);
    await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.expired', expiredSnapshot));
    const other = await signInClient(ctx, slug);
    await as(ctx, setup.practitioner.headers)('POST', `/clients/${other.id}/grants`, { credits: 1, reason: 'gift' });
    expect((await as(ctx, other.headers)('POST', '/me/bookings', { serviceId: setup.service.id, start })).statusCode).toBe(201);

    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.completed', paid))).body.outcome).toBe('processed');
    expect(await bookingNow()).toMatchObject({ status: 'cancelled', cancelReason: 'payment_expired' });
    const [refund] = ctx.stripe.refunds.filter((r) => r.payment_intent === paid.payment_intent);
    expect(refund).toMatchObject({ amount: 9000, status: 'succeeded' });
    expect(ctx.stripe.requestsTo('/v1/refunds', 'POST').filter((r) => r.body.payment_intent === paid.payment_intent)[0]!.idempotencyKey).toMatch(/^tallybook-refund-/);
    const mails = await outbox(ctx, client.email);
    const told = mails.find((m) => m.subject === 'Your payment of $90.00 to Dana Coaching is being refunded')!;
    expect(told.text).toContain('it has been booked since');
    expect(mails.map((m) => m.subject)).toContain('Refund: $90.00 from Dana Coaching');
    // The same event again refunds nothing more.
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.completed', paid))).body.outcome).toBe('processed');
    expect(ctx.stripe.refunds.filter((r) => r.payment_intent === paid.payment_intent)).toHaveLength(1);
  });

  it('expires the Checkout through the API when Stripe’s event never comes, and releases the slot', async () => {
    const { checkoutUrl, offered, bookingNow } = await singleSession(ctx);
    ctx.clock.advance(31 * MINUTE);
    await ctx.app.jobs.tick();
    expect(await bookingNow()).toMatchObject({ status: 'pending_payment' }); // a grace period for the event
    ctx.clock.advance(2 * MINUTE);
    await ctx.app.jobs.tick();
    const id = sessionOf(ctx, checkoutUrl).id;
    expect(ctx.stripe.requestsTo(`/v1/checkout/sessions/${id}/expire`, 'POST')).toHaveLength(1);
    expect(ctx.stripe.sessions.get(id)!.status).toBe('expired');
    expect(await bookingNow()).toMatchObject({ status: 'cancelled', cancelReason: 'payment_expired' });
    expect(await offered()).toBe(true);
    // Stripe's own event, late, changes nothing.
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.expired', ctx.stripe.sessions.get(id)))).statusCode).toBe(200);
    expect(await bookingNow()).toMatchObject({ status: 'cancelled' });
  });

  it('releases the slot at once when Stripe refuses to open the Checkout', async () => {
    const setup = await setUpPractice(ctx, { service: { name: 'Coaching session', durationMinutes: 60, price: { amount: 9000, currency: 'USD' } } });
    const slug = setup.practitioner.practice.slug;
    const me = as(ctx, (await signInClient(ctx, slug)).headers);
    const [start] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
    ctx.stripe.failNext('/v1/checkout/sessions', 400, { message: 'Your account cannot currently make live charges.' });
    const res = await me('POST', '/me/bookings', { serviceId: setup.service.id, start, payment: 'single' });
    expect(res.statusCode).toBe(502);
    expect(res.json().detail).toContain('nothing was charged');
    expect((await me('GET', '/me/bookings')).json().items[0]).toMatchObject({ status: 'cancelled', cancelReason: 'payment_expired' });
    expect(await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03')).toContain(start);
  });

  it('confirms the booking from the job when the payment went through but its event was lost', async () => {
    const { client, checkoutUrl, bookingNow } = await singleSession(ctx);
    ctx.stripe.pay(sessionOf(ctx, checkoutUrl).id);
    ctx.clock.advance(33 * MINUTE);
    await ctx.app.jobs.tick();
    expect(await bookingNow()).toMatchObject({ status: 'confirmed' });
    expect((await outbox(ctx, client.email)).map((m) => m.subject)).toContain('Receipt: $90.00 to Dana Coaching');
  });
});
