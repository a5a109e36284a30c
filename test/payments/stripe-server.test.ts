import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeForm, startStripeServer, stripeClientFor, TEST_WEBHOOK_SECRET, type StripeServer } from '../support/stripe-server.js';

/** The test double itself: the official client talks to it as it would to Stripe. */
describe('the Stripe-shaped test server', () => {
  let server: StripeServer;
  let stripe: Stripe;
  beforeAll(async () => {
    server = await startStripeServer();
    stripe = stripeClientFor(server.url);
  });
  afterAll(() => server.close());

  const create = (key: string, account?: string) =>
    stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 40000, product_data: { name: '5 sessions' } } }],
        client_reference_id: 'client-1',
        metadata: { purchase_id: 'p1' },
        success_url: 'http://localhost/ok',
        cancel_url: 'http://localhost/back',
      },
      { idempotencyKey: key, ...(account ? { stripeAccount: account } : {}) },
    );

  it('creates, retrieves and expires Checkout Sessions, and records what was sent', async () => {
    const session = await create('k-1', 'acct_123');
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`${server.url}/checkout/${session.id}`);
    expect(session.amount_total).toBe(40000);
    const [sent] = server.requestsTo('/v1/checkout/sessions', 'POST');
    expect(sent).toMatchObject({ idempotencyKey: 'k-1', stripeAccount: 'acct_123', body: { mode: 'payment', metadata: { purchase_id: 'p1' }, line_items: [{ quantity: '1', price_data: { currency: 'usd', unit_amount: '40000' } }] } });
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    expect((await stripe.checkout.sessions.expire(session.id)).status).toBe('expired');
    await expect(stripe.checkout.sessions.expire(session.id)).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it('answers a repeated Idempotency-Key with the first session', async () => {
    const first = await create('k-2');
    const again = await create('k-2');
    expect(again.id).toBe(first.id);
  });

  it('pays a session, then refunds through the API and in the dashboard', async () => {
    const session = await create('k-3');
    server.pay(session.id);
    const paid = await stripe.checkout.sessions.retrieve(session.id);
    expect(paid).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const intent = await stripe.paymentIntents.retrieve(paid.payment_intent as string);
    expect(intent.latest_charge).toMatch(/^ch_/);
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 8000, metadata: { refund_id: 'r1' } }, { idempotencyKey: 'refund-r1' });
    expect(refund).toMatchObject({ amount: 8000, status: 'succeeded', metadata: { refund_id: 'r1' } });
    expect((await stripe.refunds.create({ payment_intent: intent.id, amount: 8000, metadata: { refund_id: 'r1' } }, { idempotencyKey: 'refund-r1' })).id).toBe(refund.id);
    server.dashboardRefund(intent.latest_charge as string, 2000);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string);
    expect(charge.amount_refunded).toBe(10000);
    const listed = await stripe.refunds.list({ charge: charge.id, limit: 100 });
    expect(listed.data.map((r) => r.amount).sort()).toEqual([2000, 8000]);
    await expect(stripe.refunds.create({ payment_intent: intent.id, amount: 40000 })).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it('injects a failure once', async () => {
    server.failNext('/v1/checkout/sessions', 500);
    await expect(create('k-4')).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await create('k-5')).id).toMatch(/^cs_test_/);
  });

  it('signs events the official client verifies', () => {
    const event = server.event('checkout.session.completed', { id: 'cs_test_x' });
    const payload = JSON.stringify(event);
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_WEBHOOK_SECRET });
    expect(stripe.webhooks.constructEvent(payload, header, TEST_WEBHOOK_SECRET, 300).id).toBe(event.id);
  });

  it('decodes nested form bodies', () => {
    expect(decodeForm('a[b][0][c]=x&a[b][1][c]=y&d=1')).toEqual({ a: { b: [{ c: 'x' }, { c: 'y' }] }, d: '1' });
  });
});
