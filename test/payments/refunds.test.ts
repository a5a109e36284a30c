import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect, TEST_START } from '../support/app.js';
import { latestMail } from '../support/api.js';
import { as, HOUR } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';
import { boughtThroughStripe, describeWithStripe, type StripeTestContext } from '../support/stripe-app.js';

async function lotOf(ctx: StripeTestContext, me: ReturnType<typeof as>) {
  return (await me('GET', '/me')).json().lots[0] as { granted: number; available: number; held: number; used: number; expired: number };
}

async function refundRows(ctx: StripeTestContext, purchaseId: string) {
  return ctx.db.kysely.selectFrom('refunds').selectAll().where('purchase_id', '=', purchaseId).orderBy('created_at').execute();
}

describeWithStripe('refunds through Stripe', (ctx) => {
  beforeEach(() => ctx.clock.set(TEST_START));
  afterEach(() => expectInvariants(ctx));

  it('refunds a whole package: every unused credit revoked, the whole price back, a refund receipt; charge.refunded then changes nothing', async () => {
    const { purchase, me, practitioner, client, charge } = await boughtThroughStripe(ctx);
    const res = await practitioner('POST', `/purchases/${purchase.id}/refund`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().refund).toMatchObject({ amount: { amount: 40000, currency: 'USD' }, credits: 5, status: 'succeeded', origin: 'practitioner' });
    expect(res.json().purchase).toMatchObject({ status: 'refunded', refundedAmount: { amount: 40000, currency: 'USD' } });
    const [sent] = ctx.stripe.requestsTo('/v1/refunds', 'POST').filter((r) => r.body.metadata?.purchase_id === purchase.id);
    expect(sent).toMatchObject({ idempotencyKey: `tallybook-refund-${res.json().refund.id}`, body: { payment_intent: charge.payment_intent, amount: '40000', metadata: { tallybook_refund: res.json().refund.id } } });
    expect(await lotOf(ctx, me)).toMatchObject({ granted: 5, available: 0, expired: 5 });
    const mail = await latestMail(ctx, client.email);
    expect(mail!.subject).toBe('Refund: $400.00 from Dana Coaching');
    const stripeRefund = ctx.stripe.refunds.find((r) => r.metadata.tallybook_refund === res.json().refund.id)!;
    expect(mail!.text).toContain(`Refund: ${stripeRefund.id}`);
    expect(mail!.text).toContain('5 credits were removed from your balance');

    const event = ctx.stripe.event('charge.refunded', ctx.stripe.charges.get(charge.id));
    expect((await ctx.stripe.deliver(ctx.app, event)).body.outcome).toBe('processed');
    expect(await refundRows(ctx, purchase.id)).toHaveLength(1);
    expect((await practitioner('POST', `/purchases/${purchase.id}/refund`)).statusCode).toBe(409);
  });

  it('refunds pro rata; credits held by an upcoming booking are refused (409) until cancelBookings cancels it', async () => {
    const { setup, purchase, me, practitioner, client } = await boughtThroughStripe(ctx);
    const slug = setup.practitioner.practice.slug;
    const [tuesday] = await slotStarts(ctx, slug, setup.service.id, '2026-03-03', '2026-03-03');
    const [thursday] = await slotStarts(ctx, slug, setup.service.id, '2026-03-05', '2026-03-05');
    const first = (await me('POST', '/me/bookings', { serviceId: setup.service.id, start: tuesday })).json().booking;
    const upcoming = (await me('POST', '/me/bookings', { serviceId: setup.service.id, start: thursday })).json().booking;
    ctx.clock.set(new Date(Date.parse(first.end) + HOUR));
    expect((await practitioner('POST', `/bookings/${first.id}/complete`)).statusCode).toBe(200);
    expect(await lotOf(ctx, me)).toMatchObject({ available: 3, held: 1, used: 1 });

    // Two of the three available: no booking is in the way. 40000 × 2 / 5.
    const quote = (await practitioner('GET', `/purchases/${purchase.id}/refund?credits=2`)).json();
    expect(quote).toMatchObject({ refund: { amount: { amount: 16000 }, credits: 2 }, refundableCredits: 4, bookingsToCancel: [] });
    const partial = await practitioner('POST', `/purchases/${purchase.id}/refund`, { credits: 2 });
    expect(partial.statusCode, partial.body).toBe(200);
    expect(partial.json()).toMatchObject({ refund: { amount: { amount: 16000 }, credits: 2, status: 'succeeded' }, purchase: { status: 'paid', refundedAmount: { amount: 16000 } } });

    // The rest (1 available + 1 held by Thursday's booking) needs the booking cancelled.
    const preview = (await practitioner('GET', `/purchases/${purchase.id}/refund`)).json();
    expect(preview).toMatchObject({ refund: { amount: { amount: 16000 }, credits: 2 }, refundableCredits: 2, bookingsToCancel: [{ id: upcoming.id, start: thursday, credits: 1 }] });
    const refused = await practitioner('POST', `/purchases/${purchase.id}/refund`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'conflict', bookings: [{ id: upcoming.id }] });
    expect(await lotOf(ctx, me)).toMatchObject({ available: 1, held: 1 });

    const done = await practitioner('POST', `/purchases/${purchase.id}/refund`, { cancelBookings: true });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ refund: { amount: { amount: 16000 }, credits: 2 }, purchase: { status: 'paid', refundedAmount: { amount: 32000 } } });
    const bookings = (await me('GET', '/me/bookings')).json().items as { id: string; status: string }[];
    expect(bookings.find((b) => b.id === upcoming.id)!.status).toBe('cancelled');
    expect(await lotOf(ctx, me)).toMatchObject({ granted: 5, available: 0, held: 0, used: 1, expired: 4 });
    const outbox = (await ctx.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(client.email)}` })).json().items.map((m: { subject: string }) => m.subject);
    expect(outbox).toEqual(expect.arrayContaining([expect.stringMatching(/^Cancelled: Coaching session/), 'Refund: $160.00 from Dana Coaching']));
    const detail = (await practitioner('GET', `/clients/${client.id}`)).json();
    expect(detail.ledger.filter((e: { kind: string }) => e.kind === 'revoke').map((e: { amount: number }) => e.amount)).toEqual([2, 2]);
    expect((await practitioner('POST', `/purchases/${purchase.id}/refund`)).json().detail).toContain('no unused credits');
  });

  it('reconciles a refund made in Stripe’s dashboard: revokes the credits it covers, once', async () => {
    const { purchase, me, charge, client } = await boughtThroughStripe(ctx);
    const event = ctx.stripe.event('charge.refunded', ctx.stripe.dashboardRefund(charge.id, 16000));
    const answers = await Promise.all([ctx.stripe.deliver(ctx.app, event), ctx.stripe.deliver(ctx.app, event), ctx.stripe.deliver(ctx.app, event)]);
    expect(answers.map((a) => a.body.outcome).sort()).toEqual(['duplicate', 'duplicate', 'processed']);
    expect(await lotOf(ctx, me)).toMatchObject({ available: 3, expired: 2 });
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json()).toMatchObject({ status: 'paid', refundedAmount: { amount: 16000 } });
    expect((await latestMail(ctx, client.email))!.subject).toBe('Refund: $160.00 from Dana Coaching');
    // Another event about the same charge (Stripe sends one per refund) counts each refund once.
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('charge.refunded', ctx.stripe.charges.get(charge.id)))).body.outcome).toBe('processed');
    expect(await refundRows(ctx, purchase.id)).toHaveLength(1);
    // The rest, in the dashboard too: the purchase is refunded in full.
    const rest = ctx.stripe.event('charge.refunded', ctx.stripe.dashboardRefund(charge.id, 24000));
    expect((await ctx.stripe.deliver(ctx.app, rest)).body.outcome).toBe('processed');
    expect(await lotOf(ctx, me)).toMatchObject({ available: 0, expired: 5 });
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json()).toMatchObject({ status: 'refunded', refundedAmount: { amount: 40000 } });
    expect((await refundRows(ctx, purchase.id)).map((r) => [r.origin, r.credits])).toEqual([['dashboard', 2], ['dashboard', 3]]);
  });

  it('keeps the refund pending when Stripe does not answer, and its job makes it later', async () => {
    const { purchase, me, practitioner } = await boughtThroughStripe(ctx);
    for (let i = 0; i < 3; i++) ctx.stripe.failNext('/v1/refunds', 503);
    const res = await practitioner('POST', `/purchases/${purchase.id}/refund`, { credits: 1 });
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json().code).toBe('payment_provider_error');
    const [pending] = await refundRows(ctx, purchase.id);
    expect(pending).toMatchObject({ status: 'pending', credits: 1, amount: 8000 });
    expect(await lotOf(ctx, me)).toMatchObject({ available: 4, expired: 1 }); // revoked already: not bookable meanwhile
    ctx.clock.advance(3 * 60_000);
    await ctx.app.jobs.tick();
    expect((await refundRows(ctx, purchase.id))[0]).toMatchObject({ status: 'succeeded' });
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json().refundedAmount).toEqual({ amount: 8000, currency: 'USD' });
    expect(ctx.stripe.refunds.filter((r) => r.metadata.tallybook_refund === pending!.id)).toHaveLength(1);
  });

  it('counts a refund once when Stripe made it but its answer was lost, and charge.refunded tells first', async () => {
    const { purchase, me, practitioner, charge } = await boughtThroughStripe(ctx);
    ctx.stripe.loseAnswers('/v1/refunds', 3);
    expect((await practitioner('POST', `/purchases/${purchase.id}/refund`, { credits: 1 })).statusCode).toBe(502);
    expect(ctx.stripe.refunds.filter((r) => r.charge === charge.id)).toHaveLength(1); // made at Stripe, once (same idempotency key)
    const event = ctx.stripe.event('charge.refunded', ctx.stripe.charges.get(charge.id));
    expect((await ctx.stripe.deliver(ctx.app, event)).body.outcome).toBe('processed');
    const rows = await refundRows(ctx, purchase.id);
    expect(rows.map((r) => [r.origin, r.status, r.credits])).toEqual([['practitioner', 'succeeded', 1]]);
    ctx.clock.advance(3 * 60_000);
    await ctx.app.jobs.tick();
    expect(await refundRows(ctx, purchase.id)).toHaveLength(1);
    expect(await lotOf(ctx, me)).toMatchObject({ available: 4, expired: 1 });
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json().refundedAmount).toEqual({ amount: 8000, currency: 'USD' });
  });

  it('gives the credits back when Stripe refuses the refund', async () => {
    const { purchase, me, practitioner } = await boughtThroughStripe(ctx);
    ctx.stripe.failNext('/v1/refunds', 400, { message: 'Charge has been disputed', code: 'charge_disputed' });
    const res = await practitioner('POST', `/purchases/${purchase.id}/refund`, { credits: 2 });
    expect(res.statusCode).toBe(502);
    expect(res.json().detail).toContain('Charge has been disputed');
    expect((await refundRows(ctx, purchase.id))[0]).toMatchObject({ status: 'failed' });
    expect(await lotOf(ctx, me)).toMatchObject({ granted: 7, available: 5, expired: 2 });
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json()).toMatchObject({ status: 'paid', refundedAmount: null });
  });

  it('answers a repeated Idempotency-Key with the first refund, and refuses what cannot be refunded', async () => {
    const { purchase, practitioner, setup, client } = await boughtThroughStripe(ctx);
    const post = () => ctx.app.inject({ method: 'POST', url: `/api/v1/purchases/${purchase.id}/refund`, headers: { ...setup.practitioner.headers, 'idempotency-key': 'refund-1' }, payload: { credits: 1 } });
    const [a, b] = [await post(), await post()];
    expect(b.json()).toEqual(a.json());
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(await refundRows(ctx, purchase.id)).toHaveLength(1);
    expect((await practitioner('POST', `/purchases/${purchase.id}/refund`, { credits: 5 })).json()).toMatchObject({ code: 'conflict', refundableCredits: 4 });
    expect((await practitioner('POST', `/purchases/${purchase.id}/refund`, { credits: 0 })).statusCode).toBe(400);
    expect((await practitioner('POST', '/purchases/nope/refund')).statusCode).toBe(404);
    expect((await as(ctx, client.headers)('POST', `/purchases/${purchase.id}/refund`)).statusCode).toBe(403);
    const other = await setUpPractice(ctx);
    expect((await as(ctx, other.practitioner.headers)('POST', `/purchases/${purchase.id}/refund`)).statusCode).toBe(404);
    expect((await as(ctx, other.practitioner.headers)('GET', `/purchases/${purchase.id}/refund`)).statusCode).toBe(404);
  });
});

describeEachDialect('refunds without Stripe', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('records the refund of a dev purchase, or of a manual sale, at once without calling out', async () => {
    const setup = await setUpPractice(ctx);
    const client = await signInClient(ctx, setup.practitioner.practice.slug);
    const me = as(ctx, client.headers);
    const practitioner = as(ctx, setup.practitioner.headers);
    const bought = (await me('POST', '/me/purchases', { packageId: setup.pkg.id })).json().purchase;
    const res = await practitioner('POST', `/purchases/${bought.id}/refund`, { credits: 3 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ refund: { amount: { amount: 24000 }, credits: 3, status: 'succeeded' }, purchase: { provider: 'dev', refundedAmount: { amount: 24000 } } });

    await practitioner('POST', `/clients/${client.id}/grants`, { packageId: setup.pkg.id, payment: 'manual' });
    const manual = (await practitioner('GET', `/clients/${client.id}`)).json().purchases.find((p: { provider: string }) => p.provider === 'manual');
    const refunded = await practitioner('POST', `/purchases/${manual.id}/refund`);
    expect(refunded.json()).toMatchObject({ refund: { amount: { amount: 40000 }, credits: 5, status: 'succeeded' }, purchase: { status: 'refunded' } });
    expect((await latestMail(ctx, client.email))!.subject).toBe('Refund: $400.00 from Dana Coaching');
    expect((await me('GET', '/me')).json().credits).toMatchObject({ available: 2, expired: 8 });
  });
});
