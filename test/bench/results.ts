import type { BookingReport } from './booking.js';
import type { Machine } from './machine.js';
import type { MemoryFigures } from './memory.js';
import type { ReadFigures } from './read-path.js';
import type { SlotFigures } from './slot-engine.js';
import { formatSpread, ratio, type Spread } from './stats.js';
import type { WebAsset } from './web-size.js';

export interface Results {
  machine: Machine;
  rounds: number;
  totalSeconds: number;
  /** 1-minute load average when the run began and when it ended: other work on the machine shows here. */
  loadAverage: { start: number; end: number };
  bookings: BookingReport[];
  postgresSkipped: string | null;
  readPath: ReadFigures[];
  slots: SlotFigures[];
  memory: MemoryFigures;
  npmStartMs: Spread;
  web: WebAsset[];
  settings: { httpSec: number; replaySec: number; readSec: number };
}

const n0 = (s: Spread) => formatSpread(s, 0);
const n1 = (s: Spread) => formatSpread(s, 1);

/** bench/results.md: the tables first, then how each was measured. */
export function resultsMarkdown(r: Results): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push('# Tallybook benchmarks', '');
  lines.push(`Measured ${m.date} on ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB memory, Node ${m.node}, PostgreSQL ${m.postgres ?? 'not available'}, ${m.os}; commit ${m.commit}. \`npm run bench\` took ${Math.round(r.totalSeconds)} s; 1-minute load average ${r.loadAverage.start.toFixed(1)} at its start, ${r.loadAverage.end.toFixed(1)} at its end (anything above ~1 is other work competing with the bench).`, '');
  lines.push(`Every figure is the median of ${r.rounds} interleaved rounds, with (min–max). Throughputs are also given as a share of a ceiling measured in the same run, on the same machine.`, '');

  lines.push('## Booking throughput: `POST /me/bookings`', '');
  lines.push('| database | clients | connections | bookings/s, HTTP | ceiling/s, statements replayed | HTTP / ceiling | HTTP p50 ms | HTTP p99 ms | ceiling p50 ms | ceiling p99 ms |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const report of r.bookings) {
    for (const f of report.figures) {
      const failed = f.http.failed > 0 ? ` (${f.http.failed} failed)` : '';
      lines.push(`| ${f.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} | ${f.spread === 'many' ? '128, spread' : '8, hot'} | ${f.connections} | ${n0(f.http.perSec)}${failed} | ${n0(f.ceiling.perSec)} | ${ratio(f.http.perSec, f.ceiling.perSec)} | ${n1(f.http.p50Ms)} | ${n0(f.http.p99Ms)} | ${n1(f.ceiling.p50Ms)} | ${n1(f.ceiling.p99Ms)} |`);
    }
  }
  if (r.postgresSkipped) lines.push('', `PostgreSQL: not measured (${r.postgresSkipped}).`);
  lines.push('');

  lines.push('## Read path, 32 connections', '');
  lines.push('| request | requests/s | share of the ceiling | p99 ms |', '| --- | ---: | ---: | ---: |');
  const ceiling = r.readPath.find((f) => f.name.startsWith('ceiling'))!;
  for (const f of r.readPath) lines.push(`| ${f.name} | ${n0(f.perSec)}${f.failed ? ` (${f.failed} failed)` : ''} | ${f === ceiling ? '100%' : ratio(f.perSec, ceiling.perSec)} | ${n0(f.p99Ms)} |`);
  lines.push('');

  lines.push('## Slot engine: one 60-day listing (Europe/London, open 07:00–21:00 every day, 15-minute step)', '');
  lines.push('| bookings in the calendar | where they are | engine alone, ms | through HTTP, ms | slots offered |', '| ---: | --- | ---: | ---: | ---: |');
  for (const f of r.slots) lines.push(`| ${f.bookings.toLocaleString('en')} | ${f.inside} | ${formatSpread(f.engineMs, 2)} | ${formatSpread(f.httpMs, 2)} | ${f.slots.toLocaleString('en')} |`);
  lines.push('');

  lines.push('## Memory, start-up, web', '');
  lines.push('| figure | value |', '| --- | ---: |');
  lines.push(`| server RSS, idle, 100,000 bookings in the database (MiB) | ${n0(r.memory.idleMiB)} |`);
  lines.push(`| server RSS, largest while 32 connections book (MiB) | ${n0(r.memory.underLoadMiB)} |`);
  lines.push(`| … bookings/s meanwhile | ${n0(r.memory.bookingsPerSec)} |`);
  lines.push(`| start-up: \`node dist/src/server.js\` spawned → 200 on /healthz (ms) | ${n0(r.memory.startMs)} |`);
  lines.push(`| start-up: \`npm start\`, build current → 200 on /healthz (ms) | ${n0(r.npmStartMs)} |`);
  for (const kind of ['js', 'css'] as const) {
    const assets = r.web.filter((a) => a.kind === kind);
    const gzip = assets.reduce((n, a) => n + a.gzipBytes, 0);
    const raw = assets.reduce((n, a) => n + a.bytes, 0);
    lines.push(`| booking page ${kind.toUpperCase()}, gzipped (${assets.length} file${assets.length === 1 ? '' : 's'}, ${kb(raw)} before) | ${kb(gzip)} |`);
  }
  lines.push('');

  lines.push('## How', '');
  lines.push(
    `- **Servers** run as \`npm start\` runs them once built: \`node dist/src/server.js\` in its own process, NODE_ENV=production, logs at info (to a file), jobs on, no SMTP (mail is kept in the outbox, as without SMTP_URL). \`RATE_LIMIT_IP_PER_MIN\` is raised for the booking databases only, because every client signs in from 127.0.0.1 during setup.`,
    `- **Load** comes from autocannon in a separate process (test/bench/load-worker.ts), ${r.settings.httpSec} s a round; throughput counts 2xx answers only.`,
    '- **Setup** goes through the API, as a practitioner and clients would: signup, an API token, availability, a service, clients, credit grants (`POST /clients/{id}/grants`); clients sign in with the emailed code, read from mail_outbox since production has no dev outbox, and book with their bearer token. Every booking sends an `Idempotency-Key`, as the web app does. Calendars for the slot figures are written straight into the bookings table.',
    `- **Booking plan**: a UTC practice open 07:00–21:00, a 15-minute one-seat service; booking n takes day n mod 726 and the next free 15 minutes of it, client n mod 128 ("spread") or n mod 8 ("hot"), so no booking is refused and the calendar fills evenly. A hot client's ledger grows by thousands of entries in a run; its balance is read from its lots' stored buckets, which verify checks against the ledger.`,
    `- **Booking ceiling**: the statements of one booking are captured (the drivers patched in the bench process; the app built in-process over the same database, one booking injected), from authentication through the transaction to the mail delivery its commit triggers: ${statementSummary(r)}. They are replayed as the n-th booking of the plan (its client, session hash, lot, slot, new ids, Idempotency-Key; the practice, service and \`now\` as captured), one transaction per booking with the same writes and row locks, against the same database right after each HTTP round (${r.settings.replaySec} s). SQLite: one better-sqlite3 connection with the server's pragmas, statements prepared once, in a loop — the server has one connection and runs one transaction at a time, so this is its ceiling at any concurrency. PostgreSQL: pgbench (-M prepared) with the template as a custom script, at the same concurrency the database sees from the server — the HTTP connections, capped at the server's pool (DATABASE_POOL_MAX=10), so 10 at 32 HTTP connections — with the server's lock/statement timeouts set; per-booking values are SQL expressions over pgbench variables.`,
    `- **Read path**: GET /me (bearer), and 7- and 60-day listings of the calendar with 2,000 bookings mostly in the past (the 60-day one also revalidated: \`If-None-Match\` with its ETag, answered 304), at 32 connections, ${r.settings.readSec} s a round; the ceiling is a bare Fastify route answering constant JSON (test/bench/bare-server.ts) started the same way.`,
    '- **Slot engine**: listSlots imported from dist/src/domain/slots.js and given every booking of the calendar (those outside the range too); through HTTP, `GET /public/{slug}/services/{id}/slots` one request at a time. Each round\'s figure is the median of 9 calls after 2 warm-up calls; the rounds go through every calendar in turn. Half the bookings are of a second service with a 10-minute buffer after; bookings may overlap, as the engine must cope with any calendar.',
    '- **Memory**: VmRSS of the server process from /proc; idle is 2 s after a fresh process first answered, "largest" the maximum of samples every 100 ms while 32 connections book. The database holds 100,000 bookings (the slot calendars and 56,000 past sessions of the booking practice). Each round is a new process; its spawn → 200 time is the start-up figure.',
    '- **Web**: the scripts and stylesheets web/dist/index.html loads (the practitioner pages are a separate chunk loaded later, not counted), gzip -9.',
  );
  lines.push('');
  return lines.join('\n');
}

function statementSummary(r: Results): string {
  const s = r.bookings[0]?.statements.many;
  return s ? `${s.count} statements, ${s.transaction} of them in the transaction (begin and commit included), on SQLite` : 'none captured';
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
