import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SlotQuery, Slot } from '../../src/domain/slots.js';
import { slotQuery, type Fixture } from './calendar-fixture.js';
import { spread, timeMs, type Spread } from './stats.js';

export interface SlotFigures {
  scenario: string;
  bookings: number;
  inside: string;
  engineMs: Spread;
  httpMs: Spread;
  slots: number;
}

const CALLS_PER_ROUND = 9;
const WARM_UP_CALLS = 2;

/**
 * A 60-day listing, by the engine alone (listSlots imported from dist/, every booking of the
 * calendar handed to it, the range's too) and through HTTP (GET /public/{slug}/services/{id}/slots,
 * one request at a time, reading the database): each round's figure is the median of a few calls,
 * and the rounds go through every calendar in turn.
 */
export async function benchSlotEngine(baseUrl: string, fixture: Fixture, rounds: number): Promise<SlotFigures[]> {
  // From dist/ as built, the way the other engineer's changes to the engine will be measured.
  const { listSlots } = (await import(pathToFileURL(path.resolve('dist/src/domain/slots.js')).href)) as { listSlots: (q: SlotQuery) => Slot[] };
  const range = { fromDate: fixture.fromDate, toDate: fixture.toDate };
  const engine = new Map<string, number[]>();
  const http = new Map<string, number[]>();
  const offered = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    for (const calendar of fixture.calendars) {
      const name = calendar.scenario.name;
      const query = slotQuery(calendar, range, fixture.now);
      offered.set(name, listSlots(query).length);
      engine.set(name, [...(engine.get(name) ?? []), await medianOfCalls(() => listSlots(query))]);
      const url = `${baseUrl}/api/v1/public/${calendar.practice.slug}/services/${calendar.practice.serviceId}/slots?from=${range.fromDate}&to=${range.toDate}`;
      http.set(name, [...(http.get(name) ?? []), await medianOfCalls(() => get(url))]);
    }
  }
  return fixture.calendars.map((c) => ({
    scenario: c.scenario.name,
    bookings: c.scenario.bookings,
    inside: c.scenario.bookings === 0 ? '–' : c.scenario.insideShare === 1 ? 'all inside the 60 days' : `${Math.round(c.scenario.insideShare * 100)}% inside, the rest in the year before`,
    engineMs: spread(engine.get(c.scenario.name)!),
    httpMs: spread(http.get(c.scenario.name)!),
    slots: offered.get(c.scenario.name)!,
  }));
}

async function medianOfCalls(fn: () => unknown): Promise<number> {
  for (let i = 0; i < WARM_UP_CALLS; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < CALLS_PER_ROUND; i++) times.push(await timeMs(fn));
  return spread(times).median;
}

async function get(url: string): Promise<void> {
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
}
