import { execFileSync } from 'node:child_process';

/** Builds the server once, for the tests that run it as real processes (two servers, SIGTERM). */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
