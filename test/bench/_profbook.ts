import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { FakeClock } from '../../src/clock.js'; import { testConfig } from '../../src/config.js';
import { createDb } from '../../src/db/create-db.js'; import { migrateToLatest } from '../../src/db/migrate.js';
import { buildApp } from '../../src/http/build-app.js';
import SqliteDatabase from 'better-sqlite3';
const timing = new Map<string, { n: number; ms: number }>();
const proto = (SqliteDatabase as unknown as { prototype: { prepare: (sql: string) => Record<string, (...a: unknown[]) => unknown> } }).prototype;
const origPrepare = proto.prepare;
proto.prepare = function (this: unknown, sqlText: string) {
  const st = origPrepare.call(this, sqlText);
  for (const m of ['all', 'run', 'get', 'iterate']) {
    const f = st[m]!.bind(st);
    st[m] = (...a: unknown[]) => { const t = performance.now(); try { return f(...a); } finally { const e = timing.get(sqlText) ?? { n: 0, ms: 0 }; e.n++; e.ms += performance.now() - t; timing.set(sqlText, e); } };
  }
  return st;
};
const NOW = '2026-03-02T00:00:00.000Z';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-prof-'));
const url = process.env.PG ?? `sqlite:${path.join(dir, 'b.db')}`;
const db = createDb(url); await migrateToLatest(db);
const app = await buildApp({ config: testConfig({ databaseUrl: url, logLevel: 'warn' } as never), db, clock: new FakeClock(NOW) });
const call = async (method: 'POST' | 'PUT' | 'GET', route: string, payload: object | undefined, headers: Record<string, string> = {}) => { const res = await app.inject({ method, url: `/api/v1${route}`, payload, headers }); if (res.statusCode >= 300) throw new Error(route + res.body); return res; };
const signup = await call('POST', '/signup', { email: 'bench@example.com', password: 'correct horse battery', name: 'B', practiceName: 'Bench', slug: 'bench', timeZone: 'Europe/London' });
const cookie = String(signup.headers['set-cookie']).split(';')[0]!; const ph = { cookie };
await call('PUT', '/availability', { weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })), overrides: [] }, ph);
const service = (await call('POST', '/services', { name: 'Session', durationMinutes: 30, slotStepMinutes: 30, maxAdvanceDays: 365 }, ph)).json();
const tokens: string[] = [];
for (let i = 0; i < 20; i++) {
  const email = `c${i}@example.com`;
  await call('POST', '/public/bench/auth/code', { email, name: 'C' });
  const out = (await call('GET', '/dev/outbox', undefined)).json();
  const mail = (out.items ?? out).find((m: { to: string }) => m.to === email);
  const code = /code: (\d{6})/.exec(mail.subject)![1]!;
  const v = (await call('POST', '/public/bench/auth/verify', { email, code })).json();
  await call('POST', `/clients/${v.client.id}/grants`, { credits: 1000, reason: 'bench' }, ph);
  tokens.push(v.token);
}
let slot = 0; const base = Date.parse('2026-03-03T00:00:00Z');
const book = (i: number) => call('POST', '/me/bookings', { serviceId: service.id, start: new Date(base + (slot++) * 30 * 60000).toISOString() }, { authorization: `Bearer ${tokens[i % tokens.length]}` });
for (let i = 0; i < 50; i++) await book(i);
timing.clear();
if (process.env.WHAT === 'me') {
  const t0 = performance.now(); const N = 3000;
  for (let i = 0; i < N; i++) await call('GET', '/me', undefined, { authorization: `Bearer ${tokens[i % tokens.length]}` });
  console.log('ms/me', (performance.now() - t0) / N);
} else {
const t0 = performance.now(); const N = 400;
for (let i = 0; i < N; i++) await book(i);
console.log('ms/booking', (performance.now() - t0) / N);
if (process.env.TIMING) [...timing].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25).forEach(([q, e]) => console.log((e.ms / N).toFixed(3), 'ms/booking', e.n, q.slice(0, 160)));
}
await app.close(); await db.close();
