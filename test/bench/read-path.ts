import path from 'node:path';
import { addDays } from './dates.js';
import type { Fixture } from './calendar-fixture.js';
import { runLoad } from './load.js';
import { startServer } from './server.js';
import { spread, type Spread } from './stats.js';

export interface ReadFigures {
  name: string;
  perSec: Spread;
  p99Ms: Spread;
  failed: number;
}

export const READ_CONNECTIONS = 32;

async function etagOf(url: string): Promise<string> {
  const etag = (await fetch(url)).headers.get('etag');
  if (!etag) throw new Error(`no ETag on ${url}`);
  return etag;
}

/**
 * GET /me and 7- and 60-day slot listings at 32 connections, against the calendar with 2,000
 * bookings mostly in the past, and the bare Fastify ceiling; each round runs every target once.
 */
export async function benchReadPath(baseUrl: string, fixture: Fixture, options: { rounds: number; seconds: number; logDir: string }): Promise<ReadFigures[]> {
  const calendar = fixture.calendars.find((c) => c.scenario.name === '2k-out')!;
  const slots = (days: number) => `/api/v1/public/${calendar.practice.slug}/services/${calendar.practice.serviceId}/slots?from=${fixture.fromDate}&to=${addDays(fixture.fromDate, days - 1)}`;
  const bare = await startServer({ env: {}, script: 'dist/test/bench/bare-server.js', logFile: path.join(options.logDir, 'server-bare.log') });
  const targets: { name: string; url: string; path: string; headers?: Record<string, string>; okStatus?: number }[] = [
    { name: 'GET /me', url: baseUrl, path: '/api/v1/me', headers: { authorization: `Bearer ${calendar.practice.clients[0]!.token}` } },
    { name: 'slots, 7 days', url: baseUrl, path: slots(7) },
    { name: 'slots, 60 days', url: baseUrl, path: slots(60) },
    // A browser coming back to the page: it sends the ETag it holds and gets 304, no body.
    { name: 'slots, 60 days, revalidated (304)', url: baseUrl, path: slots(60), headers: { 'if-none-match': await etagOf(baseUrl + slots(60)) }, okStatus: 304 },
    { name: 'ceiling: bare Fastify, constant JSON', url: bare.url, path: '/constant' },
  ];
  const results = new Map<string, { perSec: number[]; p99: number[]; failed: number }>();
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const target of targets) {
        const r = await runLoad({ url: target.url, connections: READ_CONNECTIONS, durationSec: options.seconds, target: { kind: 'get', path: target.path, ...(target.headers ? { headers: target.headers } : {}), ...(target.okStatus ? { okStatus: target.okStatus } : {}) } });
        const entry = results.get(target.name) ?? { perSec: [], p99: [], failed: 0 };
        entry.perSec.push(r.okPerSec);
        entry.p99.push(r.p99Ms);
        entry.failed += r.failed;
        results.set(target.name, entry);
        console.log(`  read ${target.name} round ${round + 1}: ${r.okPerSec.toFixed(0)}/s p99 ${r.p99Ms} ms`);
      }
    }
  } finally {
    await bare.stop();
  }
  return targets.map((t) => {
    const r = results.get(t.name)!;
    return { name: t.name, perSec: spread(r.perSec), p99Ms: spread(r.p99), failed: r.failed };
  });
}
