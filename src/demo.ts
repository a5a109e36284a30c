/**
 * `npm run demo`: fills the database with a sample practice so every screen can be tried at once —
 * services, packages, clients with balances, past and upcoming sessions, a late cancellation.
 * Everything goes through the HTTP API, with the clock moved back so past sessions were booked
 * when they were still ahead, then brought to now (the completion job settles them).
 */
import { FakeClock } from './clock.js';
import { loadConfig } from './config.js';
import { createDb } from './db/create-db.js';
import { migrateToLatest } from './db/migrate.js';
import { buildApp } from './http/build-app.js';
import { startSession } from './app/sessions.js';
import { DAY_MS } from './domain/instants.js';

const SLUG = 'demo';
const EMAIL = 'dana@demo.tallybook.local';
const PASSWORD = 'tallybook-demo';

const config = { ...loadConfig(), logLevel: 'warn', runJobs: false };
const db = createDb(config.databaseUrl, { poolMax: config.databasePoolMax });
await migrateToLatest(db);
const now = new Date();
const clock = new FakeClock(new Date(now.getTime() - 21 * DAY_MS));
const app = await buildApp({ config, db, clock });

async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, headers: Record<string, string>, payload?: object) {
  const res = await app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
  if (res.statusCode >= 400) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

try {
  if (await db.kysely.selectFrom('practices').select('id').where('slug', '=', SLUG).executeTakeFirst()) {
    console.log(`The demo practice is already there: open ${config.publicUrl}/${SLUG} or log in at ${config.publicUrl}/login as ${EMAIL} / ${PASSWORD}`);
  } else {
    const signup = await app.inject({
      method: 'POST',
      url: '/api/v1/signup',
      payload: { email: EMAIL, password: PASSWORD, name: 'Dana Whitfield', practiceName: 'Dana Whitfield Coaching', slug: SLUG, timeZone: 'Europe/London', currency: 'GBP' },
    });
    if (signup.statusCode !== 201) throw new Error(`signup: ${signup.body}`);
    const practiceId = signup.json().practice.id as string;
    const dana = { cookie: String(signup.headers['set-cookie']).split(';')[0]! };

    await call('PUT', '/availability', dana, {
      weekly: [1, 2, 3, 4, 5].flatMap((weekday) => [
        { weekday, start: '09:00', end: '12:30' },
        { weekday, start: '13:30', end: '18:00' },
      ]),
      overrides: [],
    });
    const coaching = await call('POST', '/services', dana, { name: 'Coaching session', description: 'One hour, one to one, online or in the studio.', durationMinutes: 60, bufferAfterMinutes: 15, price: { amount: 9000, currency: 'GBP' } });
    const intro = await call('POST', '/services', dana, { name: 'Intro call', description: 'Twenty minutes to see whether we are a fit.', durationMinutes: 20, creditCost: 0 });
    await call('POST', '/services', dana, { name: 'Deep-dive session', description: 'Two hours for a big decision.', durationMinutes: 120, creditCost: 2 });
    const five = await call('POST', '/packages', dana, { name: '5 sessions', credits: 5, price: { amount: 40000, currency: 'GBP' }, validityDays: 180 });
    await call('POST', '/packages', dana, { name: '10 sessions', credits: 10, price: { amount: 75000, currency: 'GBP' }, validityDays: 365 });

    const people = [
      { name: 'Sam Taylor', email: 'sam@example.com', grant: { packageId: five.id, payment: 'manual' }, past: 3, upcoming: 1 },
      { name: 'Priya Shah', email: 'priya@example.com', grant: { packageId: five.id, payment: 'manual' }, past: 4, upcoming: 0 },
      { name: 'Leo Martin', email: 'leo@example.com', grant: { credits: 2, validityDays: 30, reason: 'Carried over from the old spreadsheet' }, past: 0, upcoming: 1 },
      { name: 'Ana Costa', email: 'ana@example.com', grant: null, past: 0, upcoming: 0 },
    ];
    const slots = async () => {
      const from = new Date(clock.now().getTime() + DAY_MS).toISOString().slice(0, 10);
      const to = new Date(clock.now().getTime() + 40 * DAY_MS).toISOString().slice(0, 10);
      return (await call('GET', `/public/${SLUG}/services/${coaching.id}/slots?from=${from}&to=${to}`, {})).slots.map((s: { start: string }) => s.start) as string[];
    };
    let pick = 0;
    const next = async (afterMs: number, beforeMs = Infinity) => {
      const starts = (await slots()).filter((s) => Date.parse(s) > afterMs && Date.parse(s) < beforeMs);
      pick += 3;
      return starts[pick % starts.length]!;
    };
    const clients: { id: string; headers: Record<string, string> }[] = [];
    for (const person of people) {
      const client = await call('POST', '/clients', dana, { email: person.email, name: person.name });
      if (person.grant) await call('POST', `/clients/${client.id}/grants`, dana, person.grant);
      const token = await db.write((trx) => startSession(trx, { kind: 'client', practiceId, clientId: client.id }, clock.now()));
      const headers = { authorization: `Bearer ${token}` };
      clients.push({ id: client.id, headers });
      for (let i = 0; i < person.past; i++) await call('POST', '/me/bookings', headers, { serviceId: coaching.id, start: await next(clock.now().getTime()) });
    }
    // A late cancellation: Priya cancels two hours before a session.
    const late = await call('POST', '/me/bookings', clients[1]!.headers, { serviceId: coaching.id, start: await next(clock.now().getTime() + 2 * DAY_MS) });
    clock.set(new Date(Date.parse(late.booking.start) - 2 * 3_600_000));
    await call('POST', `/me/bookings/${late.booking.id}/cancel`, clients[1]!.headers, { reason: 'Something came up at work' });

    // Today: the past sessions are settled by the completion job; upcoming ones are booked now.
    clock.set(now);
    await app.jobs.tick();
    for (const [i, person] of people.entries()) {
      for (let j = 0; j < person.upcoming; j++) await call('POST', '/me/bookings', clients[i]!.headers, { serviceId: coaching.id, start: await next(now.getTime(), now.getTime() + 7 * DAY_MS) });
    }
    await call('POST', '/me/bookings', clients[3]!.headers, { serviceId: intro.id, start: (await call('GET', `/public/${SLUG}/services/${intro.id}/slots?from=${new Date(now.getTime() + 2 * DAY_MS).toISOString().slice(0, 10)}&to=${new Date(now.getTime() + 9 * DAY_MS).toISOString().slice(0, 10)}`, {})).slots[0].start });

    console.log('A demo practice is ready:');
    console.log(`  booking page   ${config.publicUrl}/${SLUG}`);
    console.log(`  dashboard      ${config.publicUrl}/app   (log in as ${EMAIL} / ${PASSWORD})`);
    console.log(`  client portal  ${config.publicUrl}/${SLUG}/me   (sign in as sam@example.com; the code is at ${config.publicUrl}/api/v1/dev/outbox)`);
  }
} finally {
  await app.close();
  await db.close();
}
