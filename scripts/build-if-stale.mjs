#!/usr/bin/env node
/**
 * Builds (`npm run build`) only when the build is missing or older than its sources, so that
 * `npm ci && npm start` still builds in one go and a second `npm start` starts at once.
 *
 * dist/.build-stamp is written after a build that succeeded, with the time the build started: a
 * source saved during the build is newer than the stamp and triggers the next one. The sources are
 * what tsconfig.build.json includes, the web app (web/, but not web/dist), the TypeScript configs
 * and package.json / package-lock.json (a dependency changed). `--check` only says whether a build
 * is due (exit 1) and builds nothing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join(root, 'dist', '.build-stamp');
/** What the build produces; without them a build is due whatever the stamp says. */
const OUTPUTS = ['dist/src/server.js', 'web/dist/index.html'];
const SKIP = new Set(['node_modules', 'dist', '.git']);

function newestMtimeMs(entry) {
  let stat;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted or renamed file changes its directory's mtime
  for (const name of fs.readdirSync(entry)) {
    if (SKIP.has(name)) continue;
    newest = Math.max(newest, newestMtimeMs(path.join(entry, name)));
  }
  return newest;
}

function sources() {
  const buildConfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
  const included = buildConfig.include ?? [];
  const configs = fs.readdirSync(root).filter((f) => /^tsconfig.*\.json$/.test(f));
  return [...included, 'web', ...configs, 'package.json', 'package-lock.json'].map((p) => path.join(root, p));
}

/** Why a build is due, or null when dist/ is current. */
export function staleReason() {
  const missing = OUTPUTS.find((f) => !fs.existsSync(path.join(root, f)));
  if (missing) return `${missing} is missing`;
  if (!fs.existsSync(STAMP)) return 'no build stamp (dist/ was not built by npm run build here)';
  const stamp = fs.statSync(STAMP).mtimeMs;
  const newer = sources().find((p) => newestMtimeMs(p) > stamp);
  return newer ? `${path.relative(root, newer)} changed since the last build` : null;
}

const reason = staleReason();
if (process.argv.includes('--check')) {
  console.log(reason ?? 'dist/ is current');
  process.exit(reason ? 1 : 0);
}
if (reason) {
  console.log(`building: ${reason}`);
  const started = new Date();
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  fs.mkdirSync(path.dirname(STAMP), { recursive: true });
  fs.writeFileSync(STAMP, `built ${started.toISOString()}\n`);
  fs.utimesSync(STAMP, started, started);
}
