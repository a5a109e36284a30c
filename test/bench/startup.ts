import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './server.js';
import { spread, type Spread } from './stats.js';

const READY_TIMEOUT_MS = 60_000;

/**
 * `npm start` as a person types it, with the build current: npm itself, the staleness check
 * (scripts/build-if-stale.mjs), then the server migrating an up-to-date database and answering
 * /healthz. npm runs in its own process group, which is stopped as a whole afterwards.
 */
export async function benchNpmStart(databaseUrl: string, options: { rounds: number; logDir: string }): Promise<Spread> {
  // The figure is for a current build: bring it up to date first (a no-op when `npm run bench` just did).
  const build = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the build failed');
  const times: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const port = await freePort();
    const out = fs.openSync(path.join(options.logDir, 'npm-start.log'), 'a');
    const started = process.hrtime.bigint();
    const child = spawn('npm', ['start'], {
      env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: databaseUrl },
      stdio: ['ignore', out, out],
      detached: true,
    });
    fs.closeSync(out);
    try {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not answer; see ${options.logDir}/npm-start.log`);
        const status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  }
  return spread(times);
}
