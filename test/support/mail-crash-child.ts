/**
 * A server process that dies at a chosen point of mail delivery (run by test/mail/outbox-crash.test.ts
 * from dist/). It builds the app against the test's database and SMTP server, makes one request whose
 * use case commits mail to the outbox, and is SIGKILLed by the delivery's fault hook:
 * CRASH_AT=claimed (after commit and the claim, before sending) or accepted (after the SMTP server
 * accepted the mail, before the row was marked sent). Exits 3 if it was never killed.
 */
import type { FastifyBaseLogger } from 'fastify';
import { FakeClock } from '../../src/clock.js';
import { testConfig } from '../../src/config.js';
import { createDb } from '../../src/db/create-db.js';
import { buildApp } from '../../src/http/build-app.js';
import { createMailDelivery, type FaultPoint } from '../../src/mail/delivery.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const crashAt = env('CRASH_AT') as FaultPoint;
const request = JSON.parse(env('REQUEST')) as { url: string; cookie: string; payload: object };
const config = testConfig({ databaseUrl: env('DATABASE_URL'), smtpUrl: env('SMTP_URL'), publicUrl: 'https://book.example.com' });
const db = createDb(config.databaseUrl);
const clock = new FakeClock(env('NOW'));
const quiet = { level: 'silent', info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, silent() {}, child: () => quiet } as unknown as FastifyBaseLogger;
const mail = createMailDelivery({
  db,
  clock,
  smtpUrl: config.smtpUrl,
  from: config.mailFrom,
  log: quiet,
  fault: (point) => {
    if (point === crashAt) process.kill(process.pid, 'SIGKILL');
  },
});
const app = await buildApp({ config, db, clock, mail });
const res = await app.inject({ method: 'POST', url: request.url, headers: { cookie: request.cookie }, payload: request.payload });
process.stdout.write(`${res.statusCode} ${res.body}\n`);
await mail.idle();
process.exit(3);
