import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { testConfig } from '../../src/config.js';
import type { Db } from '../../src/db/create-db.js';
import { findViolations } from '../../src/db/verify.js';
import { buildApp, type App } from '../../src/http/build-app.js';
import { openTestDb } from '../support/databases.js';

/*
 * A lost response, retried from the booking page, is one purchase and one booking (review S5).
 * The server processes each first request; the browser never sees its answer (the connection
 * drops, or a proxy answers 502). The client clicks again: the web app sends the same
 * Idempotency-Key, and the server answers what it did the first time.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WEB_INDEX = path.join(ROOT, 'web/dist/index.html');
const NOW = '2026-03-02T08:00:00.000Z'; // Monday 09:00 in Berlin
const TIME_ZONE = 'Europe/Berlin';
const SLUG = 'retry-studio';

const browserPresent = fs.existsSync(CHROMIUM);
const suite = browserPresent || process.env.CI === 'true' ? describe : describe.skip;

suite('retrying a write whose response was lost, in the browser', () => {
  let app: App;
  let db: Db;
  let drop: () => Promise<void>;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const api = async (method: 'POST' | 'PUT', url: string, payload: object, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method, url: `/api/v1${url}`, headers, payload });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res;
  };
  const cookieOf = (res: Awaited<ReturnType<typeof api>>, name: string) => {
    const all = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    return all.find((c) => c.startsWith(`${name}=`))!.split(';')[0]!.slice(name.length + 1);
  };

  beforeAll(async () => {
    if (!fs.existsSync(WEB_INDEX)) execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
    if (!fs.existsSync(CHROMIUM)) throw new Error(`CI=true but ${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
    const opened = await openTestDb('sqlite');
    db = opened.db;
    drop = opened.drop;
    app = await buildApp({ config: testConfig({ databaseUrl: opened.url }), db, clock: new FakeClock(NOW) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${address.port}`;

    // The practice and a signed-in client, set up over the API; the browser only books.
    const signup = await api('POST', '/signup', { email: 'rae@example.com', password: 'correct horse battery', name: 'Rae Lin', practiceName: 'Retry Studio', slug: SLUG, timeZone: TIME_ZONE });
    const practitioner = { cookie: `tb_session=${cookieOf(signup, 'tb_session')}` };
    await api('PUT', '/availability', { weekly: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })), overrides: [] }, practitioner);
    await api('POST', '/services', { name: 'Coaching session', durationMinutes: 60 }, practitioner);
    await api('POST', '/packages', { name: '5 sessions', credits: 5, price: { amount: 40000, currency: 'USD' }, validityDays: 180 }, practitioner);
    const email = 'alex@example.com';
    await api('POST', `/public/${SLUG}/auth/code`, { email, name: 'Alex Kim' });
    await app.deps.mail.idle();
    const mail = await db.kysely.selectFrom('mail_outbox').select('subject').where('to_address', '=', email).executeTakeFirstOrThrow();
    const verified = await api('POST', `/public/${SLUG}/auth/verify`, { email, code: /code: (\d{6})/.exec(mail.subject)![1] });

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 375, height: 740 }, locale: 'en-GB', timezoneId: TIME_ZONE });
    await context.clock.setFixedTime(new Date(NOW));
    await context.addCookies([{ name: 'tb_client', value: cookieOf(verified, 'tb_client'), url: base }]);
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await drop?.();
  });

  /** Lets the server process the first POST to `url`, then loses its answer in `how`; later ones pass. */
  async function loseFirstAnswer(url: string, how: 'dropped' | 'bad gateway') {
    const keys: string[] = [];
    let lost = false;
    await page.route(`${base}/api/v1${url}`, async (route: Route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '(none)');
      if (lost) return route.continue();
      lost = true;
      const processed = await route.fetch();
      expect(processed.status()).toBe(201);
      if (how === 'dropped') return route.abort('connectionreset');
      return route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>502 Bad Gateway</h1>' });
    });
    return keys;
  }

  it('buys one package and books one session although the first answer of each was lost', async () => {
    const purchaseKeys = await loseFirstAnswer('/me/purchases', 'dropped');
    const bookingKeys = await loseFirstAnswer('/me/bookings', 'bad gateway');

    await page.goto(`${base}/${SLUG}`);
    await page.getByRole('button', { name: /^Coaching session/ }).click();
    await page.getByRole('button', { name: /^Wednesday 4 March, available/ }).click();
    await page.getByRole('button', { name: 'Wed 4 March, 10:00' }).click();
    await page.getByRole('heading', { name: 'You have no credits left for this session' }).waitFor();

    // The purchase went through, but its answer never arrived: the page says so, the client tries again.
    await page.getByRole('button', { name: 'Buy and book — 5 sessions' }).click();
    await page.getByText('We could not reach Tallybook').waitFor();
    expect(purchaseKeys).toHaveLength(1);
    await page.getByRole('button', { name: 'Buy and book — 5 sessions' }).click();

    // The retried purchase answers the first one; the booking that follows loses its answer too (a 502).
    await expect.poll(() => bookingKeys.length).toBe(1);
    await page.getByRole('button', { name: 'Book', exact: true }).click();
    await page.getByRole('heading', { name: 'You’re booked' }).waitFor();
    expect((await page.locator('.balance-line').innerText()).replace(/\s+/g, ' ').trim()).toBe('4 sessions left · 1 scheduled');

    expect(purchaseKeys).toHaveLength(2);
    expect(purchaseKeys[1]).toBe(purchaseKeys[0]);
    expect(bookingKeys).toHaveLength(2);
    expect(bookingKeys[1]).toBe(bookingKeys[0]);
    expect(await db.kysely.selectFrom('purchases').select('id').execute()).toHaveLength(1);
    expect(await db.kysely.selectFrom('lots').select('id').execute()).toHaveLength(1);
    expect(await db.kysely.selectFrom('bookings').select(['status']).execute()).toEqual([{ status: 'confirmed' }]);
    expect(await findViolations(db)).toEqual([]);
  }, 120_000);
});
