import { spawn } from 'node:child_process';
import fs from 'node:fs';

/**
 * Builds the server into dist/ (for the tests that run it as real processes: two servers, SIGTERM,
 * crash recovery) and the web app into web/dist/ (for the browser tests), once per run, from the
 * current sources. Only the `built` project of vitest.config.ts runs it, so a run that selects
 * none of those tests builds nothing.
 */
export default async function setup(): Promise<void> {
  const started = new Date();
  // Independent: type-check-and-emit and the web bundle run side by side.
  await Promise.all([
    // Incremental: when no source changed since the last run, tsc only checks and emits nothing (4 s instead of 11 s).
    run(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo-tests']),
    run(['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn']),
  ]);
  // dist/ is now what `npm run build` would make of these sources: stamp it as scripts/build-if-stale.mjs
  // does (the build's start time), so the next `npm start` does not build it again.
  fs.writeFileSync(BUILD_STAMP, `built by the tests ${started.toISOString()}\n`);
  fs.utimesSync(BUILD_STAMP, started, started);
}

const BUILD_STAMP = 'dist/.build-stamp';

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args[0]} exited with ${code}`))));
  });
}
