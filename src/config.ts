export type DevTools = 'explicit' | 'implicit' | false;

/** Configuration from the environment (DESIGN.md §3). Only server.ts and CLIs read process.env. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  /** PostgreSQL connections per process. */
  databasePoolMax: number;
  smtpUrl: string | null;
  mailFrom: string;
  publicUrl: string;
  production: boolean;
  /**
   * The dev outbox page and the dev payment provider (which mints paid credits for free).
   * `explicit`: NODE_ENV is development or test. `implicit`: NODE_ENV unset on a loopback-only
   * server whose public URL is local too (a fresh clone's `npm start`); then the outbox also
   * refuses forwarded requests. Off otherwise: never behind a public address by default.
   */
  devTools: DevTools;
  rateLimitAccountPer15Min: number;
  rateLimitIpPerMin: number;
  trustProxy: string | number | boolean | undefined;
  stripe: { secretKey: string; webhookSecret: string; apiUrl: string | null } | null;
  allowPrivateUrls: boolean;
  logLevel: string;
  /** Sessions still confirmed this long after their end are completed (credits consumed) by the job. */
  completeAfterMinutes: number;
  /** Run the background jobs in this process (off in tests, which tick them by hand). */
  runJobs: boolean;
  /** How long before a session its reminder mail goes out (0: no reminders). */
  reminderHours: number;
  /** Sent mail and finished jobs are deleted this long after they were written (the cleanup sweep). */
  retentionDays: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const port = intFrom(env.PORT, 3000, 'PORT');
  const host = env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1');
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  return {
    port,
    host,
    databaseUrl: env.DATABASE_URL ?? 'sqlite:./data/tallybook.db',
    databasePoolMax: positiveIntFrom(env.DATABASE_POOL_MAX, 10, 'DATABASE_POOL_MAX'),
    smtpUrl: env.SMTP_URL || null,
    mailFrom: env.MAIL_FROM ?? 'Tallybook <no-reply@localhost>',
    publicUrl,
    production,
    devTools: devToolsEnabled(env.NODE_ENV, host, publicUrl),
    rateLimitAccountPer15Min: intFrom(env.RATE_LIMIT_ACCOUNT_PER_15_MIN, 5, 'RATE_LIMIT_ACCOUNT_PER_15_MIN'),
    rateLimitIpPerMin: intFrom(env.RATE_LIMIT_IP_PER_MIN, 60, 'RATE_LIMIT_IP_PER_MIN'),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    stripe:
      env.STRIPE_SECRET_KEY && env.STRIPE_WEBHOOK_SECRET
        ? { secretKey: env.STRIPE_SECRET_KEY, webhookSecret: env.STRIPE_WEBHOOK_SECRET, apiUrl: env.STRIPE_API_URL || null }
        : null,
    allowPrivateUrls: env.ALLOW_PRIVATE_URLS === 'true',
    logLevel: env.LOG_LEVEL ?? 'info',
    completeAfterMinutes: intFrom(env.COMPLETE_AFTER_MINUTES, 120, 'COMPLETE_AFTER_MINUTES'),
    runJobs: env.RUN_JOBS !== 'false',
    reminderHours: intFrom(env.REMINDER_HOURS, 24, 'REMINDER_HOURS'),
    retentionDays: positiveIntFrom(env.RETENTION_DAYS, 30, 'RETENTION_DAYS'),
  };
}

/** Defaults for tests and embedding; every field can be overridden. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ NODE_ENV: 'test' }), logLevel: 'silent', runJobs: false, ...overrides };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function devToolsEnabled(nodeEnv: string | undefined, host: string, publicUrl: string): DevTools {
  if (nodeEnv === 'development' || nodeEnv === 'test') return 'explicit';
  if (nodeEnv) return false;
  let publicHost: string;
  try {
    publicHost = new URL(publicUrl).hostname;
  } catch {
    return false;
  }
  return LOOPBACK_HOSTS.has(host) && LOOPBACK_HOSTS.has(publicHost) && publicUrl.startsWith('http:') ? 'implicit' : false;
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function positiveIntFrom(value: string | undefined, fallback: number, name: string): number {
  const n = intFrom(value, fallback, name);
  if (n < 1) throw new Error(`${name} must be at least 1, got "${value}"`);
  return n;
}

/** Fastify's trustProxy: "true", a hop count, or addresses/CIDRs separated by commas. */
function parseTrustProxy(value: string | undefined): string | number | boolean | undefined {
  if (!value) return undefined;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
