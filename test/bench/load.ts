import { spawn } from 'node:child_process';
import path from 'node:path';
import type { BookingPlan } from './booking-plan.js';
import { rssOf } from './server.js';

export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  /** A GET answered `okStatus` counts as served (a 304 for a revalidation); else 2xx. */
  target: { kind: 'get'; path: string; headers?: Record<string, string>; okStatus?: number } | { kind: 'booking'; plan: BookingPlan; firstN: number; runId: string };
}

export interface LoadResult {
  /** Served responses (2xx, or the target's okStatus) per second over the round. */
  okPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failed: number;
  statusCodes: Record<string, number>;
  /** Bookings numbers handed out (the next round starts after them). */
  issued: number;
  /** Largest RSS of `watchPid` seen during the round, when asked. */
  peakRssBytes?: number;
}

const RSS_SAMPLE_MS = 100;

/**
 * One round of load from a separate process (autocannon's programmatic API in load-worker.js), so
 * the generator's CPU is visible as what it is: on 2 cores it competes with the server, as any
 * client on the same machine would. `watchPid`: sample that process's RSS while the load runs.
 */
export async function runLoad(spec: LoadSpec, watchPid?: number): Promise<LoadResult> {
  let peak = 0;
  const sampler = watchPid ? setInterval(() => (peak = Math.max(peak, rssOf(watchPid))), RSS_SAMPLE_MS) : undefined;
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [path.resolve('dist/test/bench/load-worker.js'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`load worker exited with ${code}: ${stderr}`))));
    });
    const result = JSON.parse(output) as LoadResult;
    return watchPid ? { ...result, peakRssBytes: peak } : result;
  } finally {
    if (sampler) clearInterval(sampler);
  }
}
