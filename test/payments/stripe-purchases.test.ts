import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/build-app.js';
import { FakeClock } from '../../src/clock.js';
import { describeEachDialect } from '../support/app.js';
import { as } from '../support/http.js';
import { latestMail } from '../support/api.js';
import { expectInvariants, setUpPractice } from '../support/scenario.js';
import { buyer, describeWithStripe, payAndConfirm, sessionOf, type StripeTestContext } from '../support/stripe-app.js';
import { TEST_SECRET_KEY, TEST_WEBHOOK_SECRET } from '../support/stripe-server.js';

async function lotsOf(ctx: StripeTestContext, purchaseId: string) {
  return ctx.db.kysely.selectFrom('lots').selectAll().where('purchase_id', '=', purchaseId).execute();
}

describeWithStripe('buying a package through Stripe Checkout', (ctx) => {
  afterEach(() => expectInvariants(ctx));

  it('opens a Checkout Session with the price, currency, metadata, client reference, return URLs and an idempotency key from the purchase', async () => {
    const { setup, client, me } = await buyer(ctx);
    const res = await me('POST', '/me/purchases', { packageId: setup.pkg.id });
    expect(res.statusCode, res.body).toBe(201);
    const { purchase, checkoutUrl } = res.json();
    expect(purchase).toMatchObject({ status: 'pending', provider: 'stripe', amount: { amount: 40000, currency: 'USD' }, refundedAmount: null });
    expect(checkoutUrl).toBe(`${ctx.stripe.url}/checkout/${sessionOf(ctx, checkoutUrl).id}`);

    const [sent] = ctx.stripe.requestsTo('/v1/checkout/sessions', 'POST').filter((r) => r.body.metadata?.purchase_id === purchase.id);
    expect(sent!.idempotencyKey).toBe(`tallybook-purchase-${purchase.id}`);
    expect(sent!.stripeAccount).toBeUndefined();
    const slug = setup.practitioner.practice.slug;
    expect(sent!.body).toMatchObject({
      mode: 'payment',
      client_reference_id: client.id,
      customer_email: client.email,
      line_items: [{ quantity: '1', price_data: { currency: 'usd', unit_amount: '40000', product_data: { name: '5 sessions (5 credits) with Dana Coaching' } } }],
      metadata: { practice_id: setup.practitioner.practice.id, client_id: client.id, package_id: setup.pkg.id, purchase_id: purchase.id, purpose: 'purchase' },
      success_url: `${ctx.config.publicUrl}/${slug}?checkout=success&purchase=${purchase.id}`,
      cancel_url: `${ctx.config.publicUrl}/${slug}?checkout=cancelled&purchase=${purchase.id}`,
    });
    expect(sent!.body.expires_at).toBeUndefined();
    // No credits until Stripe says the payment succeeded.
    expect((await me('GET', '/me')).json().credits.available).toBe(0);
    expect(await lotsOf(ctx, purchase.id)).toEqual([]);
  });

  it('grants exactly one lot when checkout.session.completed arrives 20 times at once', async () => {
    const { setup, client, me } = await buyer(ctx);
    const { purchase, checkoutUrl } = (await me('POST', '/me/purchases', { packageId: setup.pkg.id })).json();
    const session = ctx.stripe.pay(sessionOf(ctx, checkoutUrl).id);
    const event = ctx.stripe.event('checkout.session.completed', session);
    const answers = await Promise.all(Array.from({ length: 20 }, () => ctx.stripe.deliver(ctx.app, event)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
    expect(answers.filter((a) => a.body.outcome === 'processed')).toHaveLength(1);
    expect(answers.filter((a) => a.body.outcome === 'duplicate')).toHaveLength(19);
    expect(await lotsOf(ctx, purchase.id)).toHaveLength(1);
    expect((await me('GET', '/me')).json().credits.available).toBe(5);
    const paid = (await me('GET', `/me/purchases/${purchase.id}`)).json();
    expect(paid.status).toBe('paid');
    const row = await ctx.db.kysely.selectFrom('purchases').select('payment_ref').where('id', '=', purchase.id).executeTakeFirstOrThrow();
    expect(row.payment_ref).toBe(session.payment_intent);
    // A second delivery much later is still the same event.
    ctx.clock.advance(3 * 24 * 3600_000);
    expect((await ctx.stripe.deliver(ctx.app, event)).body.outcome).toBe('duplicate');
    expect(await lotsOf(ctx, purchase.id)).toHaveLength(1);
    const receipt = await latestMail(ctx, client.email);
    expect(receipt!.subject).toBe('Receipt: 5 sessions from Dana Coaching');
    expect(receipt!.text).toContain(`Charge: ${ctx.stripe.chargeOf(session.id).id} (Stripe)`);
    expect(receipt!.text).toContain('Paid: $400.00');
  });

  it('grants one lot when async_payment_succeeded arrives before completed, and completed then changes nothing', async () => {
    const { setup, me } = await buyer(ctx);
    const { purchase, checkoutUrl } = (await me('POST', '/me/purchases', { packageId: setup.pkg.id })).json();
    const id = sessionOf(ctx, checkoutUrl).id;
    const completedUnpaid = ctx.stripe.event('checkout.session.completed', ctx.stripe.pay(id, { async: true }));
    const succeeded = ctx.stripe.event('checkout.session.async_payment_succeeded', ctx.stripe.settleAsync(id, 'succeeded'));
    expect((await ctx.stripe.deliver(ctx.app, succeeded)).body.outcome).toBe('processed');
    expect(await lotsOf(ctx, purchase.id)).toHaveLength(1);
    expect((await ctx.stripe.deliver(ctx.app, completedUnpaid)).body.outcome).toBe('ignored');
    // A completed event that says paid (a distinct event about the same payment) finds it settled.
    const completedPaid = ctx.stripe.event('checkout.session.completed', ctx.stripe.sessions.get(id));
    expect((await ctx.stripe.deliver(ctx.app, completedPaid)).statusCode).toBe(200);
    expect(await lotsOf(ctx, purchase.id)).toHaveLength(1);
    expect((await me('GET', '/me')).json().credits.available).toBe(5);
  });

  it('waits while a delayed payment is processing, and marks the purchase failed when it fails', async () => {
    const { setup, me } = await buyer(ctx);
    const { purchase, checkoutUrl } = (await me('POST', '/me/purchases', { packageId: setup.pkg.id })).json();
    const id = sessionOf(ctx, checkoutUrl).id;
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.completed', ctx.stripe.pay(id, { async: true })))).body.outcome).toBe('ignored');
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json().status).toBe('pending');
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.async_payment_failed', ctx.stripe.settleAsync(id, 'failed')))).body.outcome).toBe('processed');
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json().status).toBe('failed');
    expect(await lotsOf(ctx, purchase.id)).toEqual([]);
  });

  it('marks the purchase failed when the Checkout expires, and still grants the lot for a payment that arrives after', async () => {
    const { setup, me } = await buyer(ctx);
    const { purchase, checkoutUrl } = (await me('POST', '/me/purchases', { packageId: setup.pkg.id })).json();
    const id = sessionOf(ctx, checkoutUrl).id;
    const open = { ...ctx.stripe.sessions.get(id)!, status: 'expired' as const };
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.expired', open))).body.outcome).toBe('processed');
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json().status).toBe('failed');
    // Stripe took the money all the same (events out of order): the client gets what they paid for.
    await payAndConfirm(ctx, checkoutUrl);
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json().status).toBe('paid');
    expect(await lotsOf(ctx, purchase.id)).toHaveLength(1);
    // A late expired event changes nothing any more.
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.expired', open))).body.outcome).toBe('processed');
    expect((await me('GET', `/me/purchases/${purchase.id}`)).json().status).toBe('paid');
  });

  it('refuses a tampered payload, a wrong secret, a missing signature and a replay older than 300 s, changing nothing', async () => {
    const { setup, me } = await buyer(ctx);
    const { purchase, checkoutUrl } = (await me('POST', '/me/purchases', { packageId: setup.pkg.id })).json();
    const session = ctx.stripe.pay(sessionOf(ctx, checkoutUrl).id);
    const event = ctx.stripe.event('checkout.session.completed', session);
    const tampered = await ctx.stripe.deliver(ctx.app, event, { tamper: (payload) => payload.replace('"amount_total":40000', '"amount_total":1') });
    expect(tampered.statusCode).toBe(400);
    expect(tampered.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'header:Stripe-Signature' }] });
    expect((await ctx.stripe.deliver(ctx.app, event, { secret: 'whsec_someone_else' })).statusCode).toBe(400);
    const stale = await ctx.stripe.deliver(ctx.app, event, { timestamp: Math.floor(ctx.clock.now().getTime() / 1000) - 301 });
    expect(stale.statusCode).toBe(400);
    expect(stale.body.detail).toContain('tolerance');
    const unsigned = await ctx.app.inject({ method: 'POST', url: '/api/v1/webhooks/stripe', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(event) });
    expect(unsigned.statusCode).toBe(400);
    expect(unsigned.json().code).toBe('validation_failed');
    const notJson = await ctx.app.inject({ method: 'POST', url: '/api/v1/webhooks/stripe', headers: { 'content-type': 'text/plain', 'stripe-signature': 't=1,v1=0' }, payload: 'hello' });
    expect(notJson.statusCode).toBe(415);
    const huge = await ctx.app.inject({ method: 'POST', url: '/api/v1/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=0' }, payload: JSON.stringify({ x: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(huge.statusCode).toBe(413);
    expect(await lotsOf(ctx, purchase.id)).toEqual([]);
    expect(await ctx.db.kysely.selectFrom('stripe_events').select('id').where('id', '=', event.id).execute()).toEqual([]);
    // Within the tolerance it is accepted: 299 s old.
    expect((await ctx.stripe.deliver(ctx.app, event, { timestamp: Math.floor(ctx.clock.now().getTime() / 1000) - 299 })).body.outcome).toBe('processed');
    expect(await lotsOf(ctx, purchase.id)).toHaveLength(1);
  });

  it('answers 200 to an event type it does not act on, and to a session it did not open', async () => {
    const unknown = await ctx.stripe.deliver(ctx.app, ctx.stripe.event('customer.created', { id: 'cus_1', object: 'customer' }));
    expect(unknown).toMatchObject({ statusCode: 200, body: { received: true, outcome: 'ignored' } });
    const foreign = await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.completed', { id: 'cs_test_elsewhere', object: 'checkout.session', payment_status: 'paid', metadata: {} }));
    expect(foreign.body.outcome).toBe('ignored');
    expect(await ctx.db.kysely.selectFrom('stripe_events').select('id').where('type', '=', 'customer.created').execute()).toEqual([]);
  });

  it('answers 502 when Stripe does not answer, and a replay with the same Idempotency-Key opens the one Checkout', async () => {
    const { setup, client } = await buyer(ctx);
    const post = () => ctx.app.inject({ method: 'POST', url: '/api/v1/me/purchases', headers: { ...client.headers, 'idempotency-key': 'buy-once' }, payload: { packageId: setup.pkg.id } });
    // The official client retries twice itself (same key): three failures in a row reach us.
    for (let i = 0; i < 3; i++) ctx.stripe.failNext('/v1/checkout/sessions', 500);
    const first = await post();
    expect(first.statusCode, first.body).toBe(502);
    expect(first.json().code).toBe('payment_provider_error');
    const again = await post();
    expect(again.statusCode, again.body).toBe(201);
    const { purchase, checkoutUrl } = again.json();
    expect(checkoutUrl).toContain('/checkout/cs_test_');
    expect((await post()).json().checkoutUrl).toBe(checkoutUrl);
    const keys = ctx.stripe.requestsTo('/v1/checkout/sessions', 'POST').filter((r) => r.body.metadata?.purchase_id === purchase.id).map((r) => r.idempotencyKey);
    expect(new Set(keys)).toEqual(new Set([`tallybook-purchase-${purchase.id}`]));
    expect(await ctx.db.kysely.selectFrom('purchases').select('id').where('client_id', '=', client.id).execute()).toHaveLength(1);
  });

  it('sends a practice’s charges to its connected account (Stripe-Account) and reports whether it can take charges', async () => {
    const { setup, me, practitioner } = await buyer(ctx);
    expect((await practitioner('GET', '/practice/payments')).json()).toEqual({ provider: 'stripe', stripeAccountId: null, chargesEnabled: true });
    expect((await practitioner('PATCH', '/practice', { stripeAccountId: 'not an account' })).statusCode).toBe(400);
    const patched = await practitioner('PATCH', '/practice', { stripeAccountId: 'acct_1Connected' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).not.toHaveProperty('stripeAccountId'); // Practice keeps API.md's shape; GET /practice/payments has it
    ctx.stripe.chargesDisabled.add('acct_1Connected');
    expect((await practitioner('GET', '/practice/payments')).json()).toEqual({ provider: 'stripe', stripeAccountId: 'acct_1Connected', chargesEnabled: false });
    expect(ctx.stripe.requestsTo('/v1/accounts/acct_1Connected', 'GET')).not.toHaveLength(0);

    const { purchase, checkoutUrl } = (await me('POST', '/me/purchases', { packageId: setup.pkg.id })).json();
    const [sent] = ctx.stripe.requestsTo('/v1/checkout/sessions', 'POST').filter((r) => r.body.metadata?.purchase_id === purchase.id);
    expect(sent!.stripeAccount).toBe('acct_1Connected');
    // The connected account's event (Connect webhooks carry `account`) confirms it; the charge is looked up on that account.
    const session = ctx.stripe.pay(sessionOf(ctx, checkoutUrl).id);
    expect((await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.completed', session, { account: 'acct_1Connected' }))).body.outcome).toBe('processed');
    expect(ctx.stripe.requestsTo(`/v1/payment_intents/${session.payment_intent}`, 'GET')[0]!.stripeAccount).toBe('acct_1Connected');
    expect(await lotsOf(ctx, purchase.id)).toHaveLength(1);
    // Its refund goes to the same account.
    expect((await practitioner('POST', `/purchases/${purchase.id}/refund`, { credits: 1 })).json().refund.status).toBe('succeeded');
    expect(ctx.stripe.requestsTo('/v1/refunds', 'POST').at(-1)).toMatchObject({ stripeAccount: 'acct_1Connected', body: { payment_intent: session.payment_intent, amount: '8000' } });
    expect((await practitioner('PATCH', '/practice', { stripeAccountId: null })).statusCode).toBe(200);
    expect((await practitioner('GET', '/practice/payments')).json().stripeAccountId).toBeNull();
  });
});

describeEachDialect('without Stripe configured', (ctx) => {
  it('has no webhook: 404', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=0' }, payload: '{}' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
  });

  it('reports the dev provider', async () => {
    const setup = await setUpPractice(ctx);
    expect((await as(ctx, setup.practitioner.headers)('GET', '/practice/payments')).json()).toEqual({ provider: 'dev', stripeAccountId: null, chargesEnabled: true });
  });
});

describe('choosing the provider', () => {
  it.each([
    ['production', { NODE_ENV: 'production' }],
    ['development', { NODE_ENV: 'development' }],
    ['test', { NODE_ENV: 'test' }],
    ['NODE_ENV unset', {}],
  ])('uses Stripe whenever both keys are set (%s)', async (_title, env) => {
    const config = { ...loadConfig({ ...env, STRIPE_SECRET_KEY: TEST_SECRET_KEY, STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET }), logLevel: 'silent', runJobs: false };
    const app = await buildApp({ config, db: null as never, clock: new FakeClock('2026-03-02T08:00:00.000Z') });
    expect(app.deps.payments?.name).toBe('stripe');
    await app.close().catch(() => {});
  });

  it('needs both keys', () => {
    expect(loadConfig({ NODE_ENV: 'production', STRIPE_SECRET_KEY: TEST_SECRET_KEY }).stripe).toBeNull();
  });
});
