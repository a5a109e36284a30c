import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { findViolations } from '../../src/db/verify.js';
import { buildApp, type App } from '../../src/http/build-app.js';
import { openTestDb } from '../support/databases.js';
import { startStripeServer, TEST_SECRET_KEY, TEST_WEBHOOK_SECRET, type StripeServer } from '../support/stripe-server.js';

/**
 * The practical test in production mode (NODE_ENV=production: no dev provider, no dev outbox,
 * Secure cookies) with Stripe: the Stripe-shaped server on loopback stands in for Stripe, its
 * Checkout page's "Pay" completes the payment and the test sends the signed event, as Stripe would.
 * A client buys a 5-pack on the way to booking, books three, both sides read 2 left, the 6th is
 * offered another package; an abandoned Checkout, a single session paid alone, and a pro-rata
 * refund from the practitioner's client page.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const AXE_SOURCE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const WEB_INDEX = path.join(ROOT, 'web/dist/index.html');
const NOW = '2026-03-02T08:00:00.000Z'; // Monday 2 March 2026, 09:00 in Berlin
const TIME_ZONE = 'Europe/Berlin';
const PHONE = { width: 375, height: 740 };
const LAPTOP = { width: 1280, height: 800 };
const PRACTITIONER = { name: 'Dana Moss', email: 'dana@example.com', password: 'correct horse battery', practiceName: 'Dana Moss Coaching' };
const SLUG = 'dana-moss-coaching';
const CLIENT = { name: 'Alex Kim', email: 'alex@example.com' };

const browserPresent = fs.existsSync(CHROMIUM);
const suite = browserPresent || process.env.CI === 'true' ? describe : describe.skip;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

suite('the practical test in production mode, paid through Stripe', () => {
  let app: App;
  let clock: FakeClock;
  let stripe: StripeServer;
  let base: string;
  let browser: Browser;
  let drop: () => Promise<void>;
  let db: Awaited<ReturnType<typeof openTestDb>>['db'];
  let practitioner: { context: BrowserContext; page: Page };
  let client: { context: BrowserContext; page: Page };
  const pageErrors: string[] = [];
  /** How long Stripe takes to send its event after the client paid (the return page waits for it). */
  let eventDelayMs = 800;

  beforeAll(async () => {
    if (!fs.existsSync(WEB_INDEX)) throw new Error('web/dist is missing: the vitest global setup builds it');
    const opened = await openTestDb('sqlite');
    db = opened.db;
    drop = opened.drop;
    clock = new FakeClock(NOW);
    stripe = await startStripeServer({ now: () => clock.now().getTime() });
    const port = await freePort();
    base = `http://localhost:${port}`;
    const config = {
      ...loadConfig({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: base, STRIPE_SECRET_KEY: TEST_SECRET_KEY, STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, STRIPE_API_URL: stripe.url }),
      databaseUrl: opened.url,
      logLevel: 'warn',
      runJobs: false,
    };
    expect(config.production).toBe(true);
    expect(config.devTools).toBe(false);
    app = await buildApp({ config, db, clock });
    expect(app.deps.payments?.name).toBe('stripe');
    await app.listen({ host: '127.0.0.1', port });
    // The hosted Checkout page's "Pay": Stripe takes the money, then (a moment later) sends its signed event.
    stripe.onPay = async (session) => {
      const paid = stripe.pay(session.id);
      setTimeout(() => {
        void stripe.deliver(base, stripe.event('checkout.session.completed', paid)).then((res) => {
          if (res.statusCode !== 200) pageErrors.push(`webhook answered ${res.statusCode}`);
        });
      }, eventDelayMs);
    };
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    practitioner = await openContext(LAPTOP);
    client = await openContext(PHONE);
    await setUpPractice();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await stripe?.close();
    await drop?.();
  });

  async function openContext(viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: TIME_ZONE });
    await context.clock.setFixedTime(new Date(NOW));
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageErrors.push(message.text());
    });
    return { context, page };
  }

  /** The practice, through the API: a 60-minute service ($90 alone), a 5-pack for $400, weekday hours. */
  async function setUpPractice() {
    const call = async (method: string, url: string, body: unknown, cookie?: string) => {
      const res = await fetch(`${base}/api/v1${url}`, { method, headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return res;
    };
    const signedUp = await call('POST', '/signup', { email: PRACTITIONER.email, password: PRACTITIONER.password, name: PRACTITIONER.name, practiceName: PRACTITIONER.practiceName, slug: SLUG, timeZone: TIME_ZONE });
    const setCookie = signedUp.headers.getSetCookie().find((c) => c.startsWith('tb_session='))!;
    expect(setCookie).toContain('Secure');
    const cookie = setCookie.split(';')[0]!;
    await call('PUT', '/availability', { weekly: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })), overrides: [] }, cookie);
    await call('POST', '/services', { name: 'Coaching session', durationMinutes: 60, price: { amount: 9000, currency: 'USD' } }, cookie);
    await call('POST', '/packages', { name: '5 sessions', credits: 5, price: { amount: 40000, currency: 'USD' }, validityDays: 180 }, cookie);
  }

  async function expectAccessible(page: Page, screen: string) {
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), `axe on ${screen}`).toEqual([]);
  }

  /** Production has no dev outbox: the code is read from the mail the server keeps without SMTP. */
  async function signInCode(email: string): Promise<string> {
    const mails = await db.kysely.selectFrom('mail_outbox').select('subject').where('to_address', '=', email).orderBy('created_at', 'desc').execute();
    const match = mails.map((m) => /code: (\d{6})/.exec(m.subject)).find(Boolean);
    if (!match) throw new Error(`no sign-in code mailed to ${email}`);
    return match[1]!;
  }

  async function pickTime(page: Page, day: string, time: string) {
    await page.getByRole('button', { name: /^Coaching session/ }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Pick a time');
    await page.getByRole('button', { name: new RegExp(`^${day}, available`) }).click();
    await page.getByRole('heading', { name: `Times on ${day}` }).waitFor();
    await page.getByRole('button', { name: `${day.replace(/^(\w{3})\w*/, '$1')}, ${time}` }).click();
  }

  async function text(page: Page, selector: string) {
    return (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ').trim();
  }

  /** On Stripe's (stand-in) Checkout page: pay, and come back to Tallybook. */
  async function payOnCheckout(page: Page, amount: string) {
    await page.getByRole('heading', { name: 'Test Checkout' }).waitFor();
    expect(await text(page, 'main')).toContain(`Pay ${amount} USD`);
    await page.getByRole('button', { name: 'Pay' }).click();
  }

  it('a 5-pack bought through Stripe Checkout on the way to booking, three sessions, 2 left on both sides, the 6th offered a renewal', async () => {
    const c = client.page;
    const p = practitioner.page;
    onTestFailed(async () => {
      const dir = path.join(ROOT, 'test-results/e2e');
      fs.mkdirSync(dir, { recursive: true });
      await c.screenshot({ path: path.join(dir, 'stripe-client.png'), fullPage: true }).catch(() => undefined);
      await p.screenshot({ path: path.join(dir, 'stripe-practitioner.png'), fullPage: true }).catch(() => undefined);
    });

    await c.goto(`${base}/${SLUG}`);
    await c.getByRole('heading', { name: 'Book a session with Dana Moss Coaching' }).waitFor();
    await pickTime(c, 'Wednesday 4 March', '10:00');
    await c.getByLabel('Email', { exact: true }).fill(CLIENT.email);
    await c.getByLabel('Your name').fill(CLIENT.name);
    await c.getByRole('button', { name: 'Send me a code' }).click();
    await c.getByRole('heading', { name: `We sent a 6-digit code to ${CLIENT.email}` }).waitFor();
    await c.getByLabel('Code').fill(await signInCode(CLIENT.email));
    await c.getByRole('button', { name: 'Continue' }).click();
    await c.getByRole('heading', { name: 'You have no credits left for this session' }).waitFor();

    // Abandoned first: back from the Checkout page without paying, nothing was charged.
    await c.getByRole('button', { name: 'Buy and book — 5 sessions' }).click();
    await c.getByRole('heading', { name: 'Test Checkout' }).waitFor();
    await c.getByRole('link', { name: 'Back' }).click();
    await c.getByRole('heading', { name: 'Payment cancelled' }).waitFor();
    expect(await text(c, '[data-testid=payment-return]')).toContain('nothing was charged');
    await expectAccessible(c, 'payment cancelled');
    await c.getByRole('button', { name: 'Continue' }).click();
    await c.getByRole('heading', { name: 'You have no credits left for this session' }).waitFor();

    // Then paid: the return page waits for Stripe's event, then books the chosen time.
    eventDelayMs = 1500;
    await c.getByRole('button', { name: 'Buy and book — 5 sessions' }).click();
    await payOnCheckout(c, '400.00');
    await c.getByRole('heading', { name: 'Confirming your payment…' }).waitFor();
    await expectAccessible(c, 'confirming the payment');
    await c.getByRole('heading', { name: 'You’re booked' }).waitFor({ timeout: 30_000 });
    expect(await text(c, 'main')).toContain('Wed 4 March, 10:00–11:00');
    expect(await text(c, '.balance-line')).toBe('4 sessions left · 1 scheduled');
    eventDelayMs = 300;
    const checkout = stripe.requestsTo('/v1/checkout/sessions', 'POST').at(-1)!;
    expect(checkout.body).toMatchObject({ mode: 'payment', line_items: [{ price_data: { currency: 'usd', unit_amount: '40000' } }], customer_email: CLIENT.email });
    expect(checkout.body.success_url).toMatch(new RegExp(`^${base}/${SLUG}\\?checkout=success&purchase=`));

    for (const [day, left] of [
      ['Thursday 5 March', 3],
      ['Friday 6 March', 2],
    ] as const) {
      await c.getByRole('button', { name: 'Book another session' }).click();
      await pickTime(c, day, '10:00');
      await c.getByRole('heading', { name: 'Confirm your booking' }).waitFor();
      expect(await text(c, '.confirm-line')).toMatch(new RegExp(`Uses 1 credit · ${left} sessions left after this$`));
      await c.getByRole('button', { name: 'Book', exact: true }).click();
      await c.getByRole('heading', { name: 'You’re booked' }).waitFor();
    }

    // Both sides read 2 left (3 scheduled).
    await c.getByRole('link', { name: 'See your sessions' }).click();
    await c.getByTestId('balance').waitFor();
    expect(await text(c, '[data-testid=balance]')).toMatch(/^2 sessions left · 3 scheduled · 0 used/);
    await p.goto(`${base}/login`);
    await p.getByLabel('Email').fill(PRACTITIONER.email);
    await p.getByLabel('Password').fill(PRACTITIONER.password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Clients' }).click();
    const row = p.locator(`tr[data-client-email="${CLIENT.email}"]`);
    await row.waitFor();
    expect(await Promise.all(['available', 'held', 'used'].map(async (id) => (await row.getByTestId(id).innerText()).trim()))).toEqual(['2', '3', '0']);

    // The last two, then the 6th: refused before any slot is taken, with the offer.
    await c.getByRole('link', { name: 'Book a session' }).first().click();
    for (const day of ['Monday 9 March', 'Tuesday 10 March']) {
      await pickTime(c, day, '10:00');
      await c.getByRole('button', { name: 'Book', exact: true }).click();
      await c.getByRole('heading', { name: 'You’re booked' }).waitFor();
      await c.getByRole('button', { name: 'Book another session' }).click();
    }
    await pickTime(c, 'Wednesday 11 March', '10:00');
    await c.getByRole('heading', { name: 'You have no credits left for this session' }).waitFor();
    expect(await c.getByRole('button', { name: 'Book', exact: true }).count()).toBe(0);
    expect(await text(c, '.confirm-box')).toContain('or pay $90 for this session alone');

    // The renewal, through Stripe again (ten minutes later, so the client's page lists it first).
    clock.advance(10 * 60_000);
    await c.getByRole('button', { name: 'Buy and book — 5 sessions' }).click();
    await payOnCheckout(c, '400.00');
    await c.getByRole('heading', { name: 'You’re booked' }).waitFor({ timeout: 30_000 });
    expect(await text(c, '.balance-line')).toBe('4 sessions left · 6 scheduled');
    expect(pageErrors).toEqual([]);
    expect(await findViolations(db)).toEqual([]);
  }, 240_000);

  it('a single session paid alone through Stripe, held while the client pays, then confirmed', async () => {
    const c = client.page;
    await c.getByRole('button', { name: 'Book another session' }).click();
    await pickTime(c, 'Thursday 12 March', '14:00');
    // Alex's credits cover it; a new client without credits is offered the single price.
    await c.getByRole('heading', { name: 'Confirm your booking' }).waitFor();
    await c.getByRole('button', { name: 'Not you?' }).click();
    const email = 'jo@example.com';
    await c.getByLabel('Email', { exact: true }).fill(email);
    await c.getByLabel('Your name').fill('Jo Single');
    await c.getByRole('button', { name: 'Send me a code' }).click();
    await c.getByLabel('Code').fill(await signInCode(email));
    await c.getByRole('button', { name: 'Continue' }).click();
    await c.getByRole('heading', { name: 'You have no credits left for this session' }).waitFor();
    await c.getByRole('button', { name: 'Pay $90 and book' }).click();
    await c.getByRole('heading', { name: 'Test Checkout' }).waitFor();
    // While the client is on Stripe's page the time is held for them: nobody else is offered it.
    const slots = await (await fetch(`${base}/api/v1/public/${SLUG}/services/${(await db.kysely.selectFrom('services').select('id').executeTakeFirstOrThrow()).id}/slots?from=2026-03-12&to=2026-03-12`)).json();
    expect(slots.slots.map((s: { start: string }) => s.start)).not.toContain('2026-03-12T13:00:00.000Z');
    await payOnCheckout(c, '90.00');
    await c.getByRole('heading', { name: 'You’re booked' }).waitFor({ timeout: 30_000 });
    expect(await text(c, 'main')).toContain('Thu 12 March, 14:00–15:00');
    const booking = await db.kysely.selectFrom('bookings').select(['status', 'payment_kind']).where('start_at', '=', '2026-03-12T13:00:00.000Z').executeTakeFirstOrThrow();
    expect(booking).toEqual({ status: 'confirmed', payment_kind: 'single' });
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('the practitioner sees Stripe with charges enabled, and refunds part of the renewal with the pro-rata amount shown first', async () => {
    const p = practitioner.page;
    await p.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Settings' }).click();
    await p.getByRole('heading', { name: 'Payments' }).waitFor();
    await p.getByText('Charges are enabled').waitFor();
    expect(await text(p, '[data-testid=payments]')).toContain('Payment provider: Stripe');
    await expectAccessible(p, 'settings: payments');

    await p.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Clients' }).click();
    await p.getByRole('link', { name: CLIENT.name }).click();
    await p.getByRole('heading', { name: CLIENT.name, level: 1 }).waitFor();
    const refundButtons = p.getByRole('button', { name: /^Refund 5 sessions/ });
    expect(await refundButtons.count()).toBe(2);
    await refundButtons.first().click(); // newest first: the renewal (4 available, 1 held by Wednesday 11 March)
    const dialog = p.getByRole('dialog', { name: 'Refund 5 sessions?' });
    await dialog.getByTestId('refund-quote').waitFor();
    expect(await text(p, '[data-testid=refund-quote]')).toContain('Refund $400 for 5 credits');
    expect(await text(p, '[data-testid=refund-quote]')).toContain('This also cancels an upcoming session');
    await dialog.getByLabel('Unused credits to refund').fill('2');
    await expect.poll(() => text(p, '[data-testid=refund-quote]')).toContain('Refund $160 for 2 credits');
    expect(await text(p, '[data-testid=refund-quote]')).not.toContain('cancels');
    await expectAccessible(p, 'refund dialog');
    await dialog.getByRole('button', { name: 'Refund $160' }).click();
    await p.getByText('Refunded $160 for 2 credits.').waitFor();
    await expect.poll(() => text(p, '[data-testid=client-balance]')).toBe('2 credits available · 6 scheduled · 0 used · 2 expired');
    const refund = stripe.requestsTo('/v1/refunds', 'POST').at(-1)!;
    expect(refund.body).toMatchObject({ amount: '16000' });
    expect(refund.idempotencyKey).toMatch(/^tallybook-refund-/);

    // "Buy" from the portal (Jo, signed in since the single session): back from Checkout, the booking page waits for Stripe, then shows the balance.
    const c = client.page;
    await c.goto(`${base}/${SLUG}/me`);
    await c.getByTestId('balance').waitFor();
    await c.getByRole('button', { name: 'Buy 5 sessions' }).click();
    await payOnCheckout(c, '400.00');
    await c.getByRole('heading', { name: 'Payment received' }).waitFor({ timeout: 30_000 });
    expect(await text(c, '[data-testid=payment-return]')).toContain('you have 5 sessions left');
    await expectAccessible(c, 'payment received');
    expect(pageErrors).toEqual([]);
    expect(await findViolations(db)).toEqual([]);
  }, 120_000);
});
