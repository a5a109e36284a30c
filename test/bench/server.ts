import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface RunningServer {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 on /healthz. */
  startMs: number;
  /** Resident set size of the server process now, from /proc (the kernel's count, not the heap's). */
  rssBytes(): number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 5;

/** A port the kernel says is free now; the server is told to listen there. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server the way `npm start` runs it once built — its own process, `node dist/src/server.js`,
 * NODE_ENV=production, logs at info — with its output in `logFile`, and waits for /healthz.
 * `script` runs another entry (the bare Fastify ceiling) started the same way.
 */
export async function startServer(options: { env: Record<string, string>; logFile: string; script?: string; readyPath?: string; nodeArgs?: string[] }): Promise<RunningServer> {
  const port = await freePort();
  const out = fs.openSync(options.logFile, 'a');
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.resolve(options.script ?? 'dist/src/server.js')], {
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: String(port), ...options.env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const startMs = await waitReady(child, `${url}${options.readyPath ?? '/healthz'}`, started, options.logFile);
  return {
    url,
    pid: child.pid!,
    startMs,
    rssBytes: () => rssOf(child.pid!),
    stop: () => stopChild(child),
  };
}

async function waitReady(child: ChildProcess, url: string, started: bigint, logFile: string): Promise<number> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}; see ${logFile}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return Number(process.hrtime.bigint() - started) / 1e6;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  child.kill('SIGKILL');
  throw new Error(`server not ready after ${READY_TIMEOUT_MS} ms; see ${logFile}`);
}

export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

/** SIGTERM (the server drains and closes its database), SIGKILL if it has not gone in 10 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
