import { afterAll, beforeAll, describe } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { testConfig, type Config } from '../../src/config.js';
import { buildApp } from '../../src/http/build-app.js';
import { TEST_START, type TestContext } from './app.js';
import { DIALECTS, openTestDb } from './databases.js';
import { as } from './http.js';
import { setUpPractice, signInClient } from './scenario.js';
import { startStripeServer, TEST_SECRET_KEY, TEST_WEBHOOK_SECRET, type FakeSession, type StripeServer } from './stripe-server.js';

export interface StripeTestContext extends TestContext {
  stripe: StripeServer;
}

/**
 * describeEachDialect with Stripe configured: a Stripe-shaped server on loopback (its clock the
 * app's fake clock) and STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_API_URL pointing at it.
 */
export function describeWithStripe(title: string, suite: (ctx: StripeTestContext) => void, options: { config?: Partial<Config>; start?: string } = {}): void {
  for (const dialect of DIALECTS) {
    describe(`${title} [${dialect}]`, () => {
      const ctx = { dialect } as StripeTestContext;
      let drop: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        ctx.clock = new FakeClock(options.start ?? TEST_START);
        ctx.stripe = await startStripeServer({ now: () => ctx.clock.now().getTime() });
        const opened = await openTestDb(dialect);
        drop = opened.drop;
        ctx.db = opened.db;
        ctx.databaseUrl = opened.url;
        ctx.config = testConfig({ databaseUrl: opened.url, stripe: { secretKey: TEST_SECRET_KEY, webhookSecret: TEST_WEBHOOK_SECRET, apiUrl: ctx.stripe.url }, ...options.config });
        ctx.app = await buildApp({ config: ctx.config, db: ctx.db, clock: ctx.clock });
        await ctx.app.ready();
      });
      afterAll(async () => {
        await ctx.app?.close();
        await ctx.stripe?.close();
        await drop?.();
      });
      suite(ctx);
    });
  }
}

/** The Checkout Session a checkout URL of the test server opens. */
export function sessionOf(ctx: StripeTestContext, checkoutUrl: string): FakeSession {
  const id = checkoutUrl.split('/').pop()!;
  const session = ctx.stripe.sessions.get(id);
  if (!session) throw new Error(`no session behind ${checkoutUrl}`);
  return session;
}

/** The client pays on the Checkout page and Stripe sends `checkout.session.completed`. */
export async function payAndConfirm(ctx: StripeTestContext, checkoutUrl: string) {
  const session = ctx.stripe.pay(sessionOf(ctx, checkoutUrl).id);
  const delivered = await ctx.stripe.deliver(ctx.app, ctx.stripe.event('checkout.session.completed', session));
  if (delivered.statusCode !== 200) throw new Error(`webhook answered ${delivered.statusCode}: ${JSON.stringify(delivered.body)}`);
  return session;
}

/** A practice with a 5-session package ($400), and a signed-in client: callers for both. */
export async function buyer(ctx: StripeTestContext, options: Parameters<typeof setUpPractice>[1] = {}) {
  const setup = await setUpPractice(ctx, options);
  const client = await signInClient(ctx, setup.practitioner.practice.slug);
  return { setup, client, me: as(ctx, client.headers), practitioner: as(ctx, setup.practitioner.headers) };
}

/** The client buys the package through Checkout and pays; the webhook has granted the lot. */
export async function boughtThroughStripe(ctx: StripeTestContext, options: Parameters<typeof setUpPractice>[1] = {}) {
  const parties = await buyer(ctx, options);
  const res = await parties.me('POST', '/me/purchases', { packageId: parties.setup.pkg.id });
  if (res.statusCode !== 201) throw new Error(`purchase: ${res.statusCode} ${res.body}`);
  const session = await payAndConfirm(ctx, res.json().checkoutUrl);
  return { ...parties, purchase: res.json().purchase as { id: string }, session, charge: ctx.stripe.chargeOf(session.id) };
}
