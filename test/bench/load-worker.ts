/**
 * The load generator, in its own process so it never shares a CPU's event loop with the server or
 * the bench: `node dist/test/bench/load-worker.js '<LoadSpec JSON>'` prints one LoadResult as JSON.
 */
import autocannon from 'autocannon';
import { planClient, planStart, type BookingPlan } from './booking-plan.js';
import type { LoadResult, LoadSpec } from './load.js';

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
let next = spec.target.kind === 'booking' ? spec.target.firstN : 0;

function bookingRequest(plan: BookingPlan, runId: string) {
  return () => {
    const n = next++;
    const token = plan.tokens[planClient(plan.tokens.length, n)]!;
    return {
      method: 'POST',
      path: '/api/v1/me/bookings',
      // The web app sends an Idempotency-Key with every booking; so does the load.
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `${runId}-${n}` },
      body: JSON.stringify({ serviceId: plan.serviceId, start: new Date(planStart(plan.firstDayMs, n)).toISOString() }),
    };
  };
}

const target = spec.target;
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSec,
  ...(target.kind === 'get'
    ? { method: 'GET', headers: target.headers ?? {}, requests: [{ setupRequest: (r) => ({ ...r, path: target.path }) }] }
    : { requests: [{ setupRequest: bookingRequest(target.plan, target.runId) }] }),
});
const served = (code: string) => (target.kind === 'get' && target.okStatus !== undefined ? code === String(target.okStatus) : code.startsWith('2'));
const ok = Object.entries(result.statusCodeStats).filter(([code]) => served(code)).reduce((n, [, s]) => n + Number(s.count), 0);
const out: LoadResult = {
  okPerSec: ok / result.duration,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  ok,
  failed: Object.entries(result.statusCodeStats).filter(([code]) => !served(code)).reduce((n, [, s]) => n + Number(s.count), 0) + result.errors,
  statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, Number(s.count)])),
  issued: target.kind === 'booking' ? next - target.firstN : 0,
};
process.stdout.write(JSON.stringify(out));
