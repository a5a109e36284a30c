import { createHash } from 'node:crypto';
import { DAY_MS, OPEN_HOUR_UTC, PLAN_DAYS, SESSION_MINUTES } from './booking-plan.js';
import type { Statement } from './capture.js';

/**
 * The captured booking as a template: every parameter that names this booking (its id, its client,
 * the client's lot and session, its times, its Idempotency-Key, the ids of the rows it writes)
 * becomes a variable, so the n-th replay writes the same rows a real n-th booking would — same
 * tables, same indexes, same row locks, its own client and slot from the booking plan — while
 * everything else (the practice, the service, `now`) stays as captured.
 */
export type Part =
  | { text: string }
  | { client: 'id' | 'tokenHash' | 'lotId' | 'email' }
  | { key: true }
  /** The i-th new id of this booking (the booking row, its ledger entry, its mails, its job). */
  | { fresh: number }
  /** An instant this many ms from the booking's start (the start, the end, the slot check's range, the reminder). */
  | { at: number };

export type Param = { literal: string | number | null } | { parts: Part[] };

export interface ReplayTemplate {
  statements: { sql: string; params: Param[] }[];
}

export interface ReplayClient {
  id: string;
  tokenHash: string;
  lotId: string;
  email: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;
/** Instants this close to the booking's start move with it; others (`now`, expiry times) do not. */
const NEAR_START_MS = 3 * DAY_MS;

export function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function templateOf(
  statements: Statement[],
  captured: { client: ReplayClient; key: string; startMs: number; knownIds: Set<string> },
): ReplayTemplate {
  const fresh = new Map<string, number>();
  const exact = new Map<string, Part>([
    [captured.client.id, { client: 'id' }],
    [captured.client.lotId, { client: 'lotId' }],
    [captured.client.tokenHash, { client: 'tokenHash' }],
    [captured.client.email, { client: 'email' }],
    [captured.key, { key: true }],
  ]);
  const pattern = new RegExp([UUID.source, INSTANT.source, ...[captured.client.tokenHash, captured.client.email, captured.key].map(escapeRegExp)].join('|'), 'g');

  const partsOf = (value: string): Part[] => {
    const parts: Part[] = [];
    let last = 0;
    for (const match of value.matchAll(pattern)) {
      const token = match[0];
      const part = partFor(token);
      if (!part) continue;
      if (match.index > last) parts.push({ text: value.slice(last, match.index) });
      parts.push(part);
      last = match.index + token.length;
    }
    if (last < value.length) parts.push({ text: value.slice(last) });
    return parts;
  };
  const partFor = (token: string): Part | null => {
    const known = exact.get(token);
    if (known) return known;
    if (/^\d{4}-/.test(token)) {
      const offset = Date.parse(token) - captured.startMs;
      return Math.abs(offset) <= NEAR_START_MS ? { at: offset } : null;
    }
    if (/^[0-9a-f]{8}-/.test(token)) {
      if (captured.knownIds.has(token)) return null;
      if (!fresh.has(token)) fresh.set(token, fresh.size);
      return { fresh: fresh.get(token)! };
    }
    return null;
  };

  return {
    statements: statements.map((s) => ({
      sql: s.sql,
      params: s.params.map((p): Param => {
        if (typeof p !== 'string') return { literal: p as number | null };
        const parts = partsOf(p);
        return parts.length === 1 && 'text' in parts[0]! ? { literal: p } : { parts };
      }),
    })),
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The values of the n-th replayed booking, for the SQLite replay (JavaScript). */
export function renderParams(params: Param[], values: { n: number; client: ReplayClient; startMs: number; key: string; idPrefix: string }): unknown[] {
  return params.map((p) => {
    if ('literal' in p) return p.literal;
    return p.parts
      .map((part) => {
        if ('text' in part) return part.text;
        if ('client' in part) return values.client[part.client];
        if ('key' in part) return values.key;
        if ('fresh' in part) return `${values.idPrefix}${values.n}-${part.fresh}`;
        return new Date(values.startMs + part.at).toISOString();
      })
      .join('');
  });
}

/**
 * The same template as a pgbench script. pgbench variables are numbers, so the per-booking strings
 * are SQL expressions over them: the client's values picked from array constants by index, ids
 * `idPrefix || n || '-' || i`, instants formatted from epoch milliseconds. Literals are E-strings with
 * ':' escaped, since pgbench would read ":name" anywhere in a command as a variable.
 *
 * Variables: `base` (-D), `k` (-D k=0, per pgbench client), n = base + client_id + clients × k.
 */
export function pgbenchScript(template: ReplayTemplate, plan: { firstDayMs: number; clients: ReplayClient[]; connections: number; idPrefix: string }): string {
  const arrays = {
    id: arrayLiteral(plan.clients.map((c) => c.id)),
    tokenHash: arrayLiteral(plan.clients.map((c) => c.tokenHash)),
    lotId: arrayLiteral(plan.clients.map((c) => c.lotId)),
    email: arrayLiteral(plan.clients.map((c) => c.email)),
  };
  const partSql = (part: Part): string => {
    if ('text' in part) return quote(part.text);
    if ('client' in part) return `(${arrays[part.client]})[:ci::int]`;
    if ('key' in part) return `('${plan.idPrefix}replay-' || :n)`;
    if ('fresh' in part) return `('${plan.idPrefix}' || :n || '-${part.fresh}')`;
    return `to_char(to_timestamp((:startms::bigint + ${part.at}) / 1000.0) at time zone 'UTC', ${quote('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')})`;
  };
  const paramSql = (p: Param): string => {
    if ('literal' in p) return p.literal === null ? 'NULL' : typeof p.literal === 'number' ? String(p.literal) : quote(p.literal);
    return p.parts.length === 1 ? partSql(p.parts[0]!) : `(${p.parts.map(partSql).join(' || ')})`;
  };
  const lines = [
    '\\set k :k + 1',
    `\\set n :base + :client_id + ${plan.connections} * :k`,
    `\\set ci 1 + :n % ${plan.clients.length}`,
    `\\set startms ${plan.firstDayMs} + (:n % ${PLAN_DAYS}) * ${DAY_MS} + ${OPEN_HOUR_UTC * 3_600_000} + (:n / ${PLAN_DAYS}) * ${SESSION_MINUTES * 60_000}`,
  ];
  for (const s of template.statements) {
    lines.push(`${s.sql.replace(/\$(\d+)/g, (_, i: string) => paramSql(s.params[Number(i) - 1]!))};`);
  }
  return lines.join('\n') + '\n';
}

function quote(text: string): string {
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/:/g, '\\x3a')}'`;
}

function arrayLiteral(values: string[]): string {
  return `ARRAY[${values.map(quote).join(',')}]`;
}
