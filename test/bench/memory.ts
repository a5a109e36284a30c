import path from 'node:path';
import { firstPlanDay, type BookingPlan } from './booking-plan.js';
import type { Fixture } from './calendar-fixture.js';
import { runLoad } from './load.js';
import { startServer } from './server.js';
import { spread, type Spread } from './stats.js';

export interface MemoryFigures {
  idleMiB: Spread;
  underLoadMiB: Spread;
  bookingsPerSec: Spread;
  /** `node dist/src/server.js` spawned → first 200 on /healthz, the database already migrated. */
  startMs: Spread;
}

const IDLE_SETTLE_MS = 2_000;
const MEMORY_CONNECTIONS = 32;

/**
 * The server's resident memory with 100,000 bookings in its database: idle (a fresh process, 2 s
 * after it first answered), then at its largest while 32 connections book. Each round is a new
 * process, so rounds do not inherit each other's heap; its start-up time is recorded too.
 */
export async function benchMemory(databaseUrl: string, fixture: Fixture, options: { rounds: number; seconds: number; logDir: string }): Promise<MemoryFigures> {
  const plan: BookingPlan = { serviceId: fixture.load.serviceId, firstDayMs: firstPlanDay(fixture.now), tokens: fixture.load.clients.map((c) => c.token) };
  let nextN = 0;
  const idle: number[] = [];
  const loaded: number[] = [];
  const rates: number[] = [];
  const starts: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const server = await startServer({ env: { DATABASE_URL: databaseUrl }, logFile: path.join(options.logDir, 'server-memory.log') });
    try {
      starts.push(server.startMs);
      await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
      idle.push(server.rssBytes() / 2 ** 20);
      const r = await runLoad({ url: server.url, connections: MEMORY_CONNECTIONS, durationSec: options.seconds, target: { kind: 'booking', plan, firstN: nextN, runId: `mem${round}` } }, server.pid);
      nextN += r.issued;
      loaded.push(r.peakRssBytes! / 2 ** 20);
      rates.push(r.okPerSec);
      console.log(`  memory round ${round + 1}: idle ${idle.at(-1)!.toFixed(0)} MiB, under load ${loaded.at(-1)!.toFixed(0)} MiB, start ${server.startMs.toFixed(0)} ms`);
    } finally {
      await server.stop();
    }
  }
  return { idleMiB: spread(idle), underLoadMiB: spread(loaded), bookingsPerSec: spread(rates), startMs: spread(starts) };
}
