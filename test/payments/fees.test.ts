import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect, TEST_START, type TestContext } from '../support/app.js';
import { latestMail } from '../support/api.js';
import { as, HOUR, MINUTE } from '../support/http.js';
import { expectInvariants, setUpPractice, signInClient, slotStarts } from '../support/scenario.js';
import { describeWithStripe, payAndConfirm, sessionOf, type StripeTestContext } from '../support/stripe-app.js';

const FEE_POLICY = { lateCancel: 'fee', lateCancelFee: { amount: 2500, currency: 'USD' }, noShow: 'fee', noShowFee: { amount: 5000, currency: 'USD' } };

/** A client with credits books Tuesday 09:00 and cancels two hours before: a $25 fee is owed. */
async function lateCancelFee(ctx: TestContext) {
  const setup = await setUpPractice(ctx);
  const practitioner = as(ctx, setup.practitioner.headers);
  expect((await practitioner('PATCH', '/practice', { policy: FEE_POLICY })).statusCode).toBe(200);
  const client = await signInClient(ctx, setup.practitioner.practice.slug);
  const me = as(ctx, client.headers);
  await practitioner('POST', `/clients/${client.id}/grants`, { credits: 2, reason: 'start' });
  const [start] = await slotStarts(ctx, setup.practitioner.practice.slug, setup.service.id, '2026-03-03', '2026-03-03');
  const booking = (await me('POST', '/me/bookings', { serviceId: setup.service.id, start })).json().booking;
  ctx.clock.set(new Date(Date.parse(start!) - 2 * HOUR));
  const cancelled = await me('POST', `/me/bookings/${booking.id}/cancel`);
  expect(cancelled.json().outcome).toMatchObject({ outcome: 'fee', fee: { amount: 2500 } });
  const fee = (await me('GET', '/me')).json().fees[0] as { id: string; status: string };
  return { setup, client, me, practitioner, booking, fee, start: start! };
}

describeWithStripe('paying a fee through Stripe', (ctx) => {
  beforeEach(() => ctx.clock.set(TEST_START));
  afterEach(() => expectInvariants(ctx));

  it('links the cancellation mail to the fee, opens a Checkout for it, and marks it paid when Stripe confirms', async () => {
    const { setup, client, me, fee } = await lateCancelFee(ctx);
    const slug = setup.practitioner.practice.slug;
    const mail = await latestMail(ctx, client.email);
    expect(mail!.subject).toMatch(/^Cancelled: /);
    expect(mail!.text).toContain(`Pay the fee online: ${ctx.config.publicUrl}/${slug}/me?fee=${fee.id}`);

    const res = await me('POST', `/me/fees/${fee.id}/pay`);
    expect(res.statusCode, res.body).toBe(201);
    const { checkoutUrl } = res.json();
    expect(checkoutUrl).toContain('/checkout/cs_test_');
    const [sent] = ctx.stripe.requestsTo('/v1/checkout/sessions', 'POST').filter((r) => r.body.metadata?.fee_id === fee.id);
    expect(sent!.body).toMatchObject({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', unit_amount: '2500' } }],
      metadata: { purpose: 'fee', fee_id: fee.id, client_id: client.id },
      success_url: `${ctx.config.publicUrl}/${slug}/me?checkout=success&fee=${fee.id}`,
    });
    expect(sent!.idempotencyKey).toMatch(/^tallybook-fee-checkout-/);
    // Asking again while that Checkout is open offers the same one.
    expect((await me('POST', `/me/fees/${fee.id}/pay`)).json().checkoutUrl).toBe(checkoutUrl);

    const session = await payAndConfirm(ctx, checkoutUrl);
    expect((await me('GET', '/me')).json().fees[0]).toMatchObject({ id: fee.id, status: 'paid' });
    const receipt = await latestMail(ctx, client.email);
    expect(receipt!.subject).toBe('Receipt: $25.00 to Dana Coaching');
    expect(receipt!.text).toContain('Fee (late cancellation) for Coaching session');
    expect(receipt!.text).toContain(`Charge: ${ctx.stripe.chargeOf(session.id).id} (Stripe)`);
    expect((await me('POST', `/me/fees/${fee.id}/pay`)).statusCode).toBe(409);
    expect((await as(ctx, setup.practitioner.headers)('GET', '/fees?status=paid')).json().items.map((f: { id: string }) => f.id)).toContain(fee.id);
  });

  it('mails a no-show fee with a link to pay it', async () => {
    const setup = await setUpPractice(ctx);
    const practitioner = as(ctx, setup.practitioner.headers);
    await practitioner('PATCH', '/practice', { policy: FEE_POLICY });
    const client = await signInClient(ctx, setup.practitioner.practice.slug);
    await practitioner('POST', `/clients/${client.id}/grants`, { credits: 1, reason: 'start' });
    const [start] = await slotStarts(ctx, setup.practitioner.practice.slug, setup.service.id, '2026-03-03', '2026-03-03');
    const booking = (await as(ctx, client.headers)('POST', '/me/bookings', { serviceId: setup.service.id, start })).json().booking;
    ctx.clock.set(new Date(Date.parse(start!) + 10 * MINUTE));
    expect((await practitioner('POST', `/bookings/${booking.id}/no-show`)).json().outcome.outcome).toBe('fee');
    const fee = (await as(ctx, client.headers)('GET', '/me')).json().fees[0];
    const mail = await latestMail(ctx, client.email);
    expect(mail!.subject).toBe('A fee of $50.00 is owed to Dana Coaching');
    expect(mail!.text).toContain(`Pay the fee online: ${ctx.config.publicUrl}/${setup.practitioner.practice.slug}/me?fee=${fee.id}`);
  });

  it('refunds a payment for a fee that was waived while the client paid, and tells them', async () => {
    const { client, me, practitioner, fee, booking } = await lateCancelFee(ctx);
    const { checkoutUrl } = (await me('POST', `/me/fees/${fee.id}/pay`)).json();
    expect((await practitioner('POST', `/bookings/${booking.id}/waive`, { reason: 'first time' })).statusCode).toBe(200);
    const session = await payAndConfirm(ctx, checkoutUrl);
    const [refund] = ctx.stripe.refunds.filter((r) => r.payment_intent === session.payment_intent);
    expect(refund).toMatchObject({ amount: 2500, status: 'succeeded' });
    expect((await me('GET', '/me')).json().fees[0]).toMatchObject({ id: fee.id, status: 'waived' });
    const subjects = (await ctx.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(client.email)}` })).json().items.map((m: { subject: string }) => m.subject);
    expect(subjects.slice(0, 2)).toEqual(['Refund: $25.00 from Dana Coaching', 'Your payment of $25.00 to Dana Coaching is being refunded']);
    const rows = await ctx.db.kysely.selectFrom('refunds').selectAll().where('client_id', '=', client.id).execute();
    expect(rows.map((r) => [r.origin, r.status, r.amount, r.provider_ref])).toEqual([['automatic', 'succeeded', 2500, refund!.id]]);
  });

  it('opens a new Checkout once the last one expired', async () => {
    const { me, fee } = await lateCancelFee(ctx);
    const first = (await me('POST', `/me/fees/${fee.id}/pay`)).json().checkoutUrl;
    const expired = ctx.stripe.expire(sessionOf(ctx, first).id);
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.expired', expired))).body.outcome).toBe('processed');
    expect((await me('GET', '/me')).json().fees[0].status).toBe('owed');
    const second = (await me('POST', `/me/fees/${fee.id}/pay`)).json().checkoutUrl;
    expect(second).not.toBe(first);
    await payAndConfirm(ctx, second);
    expect((await me('GET', '/me')).json().fees[0].status).toBe('paid');
  });

  it('refuses another client’s fee (404)', async () => {
    const { setup, fee } = await lateCancelFee(ctx);
    const other = await signInClient(ctx, setup.practitioner.practice.slug);
    expect((await as(ctx, other.headers)('POST', `/me/fees/${fee.id}/pay`)).statusCode).toBe(404);
  });
});

describeEachDialect('paying a fee with the dev provider', (ctx) => {
  beforeEach(() => ctx.clock.set(TEST_START));
  afterEach(() => expectInvariants(ctx));

  it('pays it at once', async () => {
    const { me, fee } = await lateCancelFee(ctx);
    const res = await me('POST', `/me/fees/${fee.id}/pay`);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ checkoutUrl: null });
    expect((await me('GET', '/me')).json().fees[0]).toMatchObject({ id: fee.id, status: 'paid' });
  });
});

export type { StripeTestContext };
