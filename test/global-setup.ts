import { execFileSync } from 'node:child_process';

/**
 * Builds the server (for the tests that run it as real processes: two servers, SIGTERM, crash
 * recovery) and the web app (for the browser tests), once, from the current sources.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
}
