import pg from 'pg';
import type { TestProject } from 'vitest/node';

/** Where a developer's PostgreSQL usually answers (trust auth, as CI's); used when TEST_DATABASE_URL is unset. */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Decides, once per run, which PostgreSQL the suite uses, and hands it to the tests
 * (`inject('postgresUrl')` in databases.ts): TEST_DATABASE_URL when set; else the local default if
 * it answers; else the run fails with what to do. Only `TEST_SQLITE_ONLY=1` runs without
 * PostgreSQL, and never in CI: the locking tests prove nothing on SQLite in one process.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = await choosePostgres(process.env);
  project.provide('postgresUrl', url);
}

export async function choosePostgres(env: NodeJS.ProcessEnv, localUrl = LOCAL_POSTGRES_URL): Promise<string | null> {
  const ci = env.CI === 'true';
  if (env.TEST_SQLITE_ONLY === '1' || env.TEST_SQLITE_ONLY === 'true') {
    if (ci) throw new Error('CI=true and TEST_SQLITE_ONLY is set: CI runs the PostgreSQL half of the suite; unset TEST_SQLITE_ONLY');
    console.warn('TEST_SQLITE_ONLY: the PostgreSQL half of the suite does not run; locking and SKIP LOCKED are not tested.');
    return null;
  }
  if (env.TEST_DATABASE_URL) {
    const problem = await probe(env.TEST_DATABASE_URL);
    if (problem) throw new Error(`TEST_DATABASE_URL=${redacted(env.TEST_DATABASE_URL)} does not work for the tests: ${problem}`);
    return env.TEST_DATABASE_URL;
  }
  if (ci) throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL half of the suite would not run');
  const problem = await probe(localUrl);
  if (!problem) return localUrl;
  throw new Error(
    [
      `The PostgreSQL half of the suite cannot run: TEST_DATABASE_URL is not set and ${localUrl} does not answer (${problem}).`,
      'Either point the tests at a PostgreSQL whose user may create databases (each test file makes and drops its own):',
      '  TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DB npm test',
      '  (for instance: docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:15)',
      'or run the SQLite half alone, which does not test locking across connections:',
      '  TEST_SQLITE_ONLY=1 npm test',
    ].join('\n'),
  );
}

/** Why the tests could not use this PostgreSQL, or null when they can. */
async function probe(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await client.connect();
    const { rows } = await client.query<{ allowed: boolean }>('select rolcreatedb or rolsuper as allowed from pg_roles where rolname = current_user');
    return rows[0]?.allowed ? null : 'its user may not create databases (ALTER ROLE … CREATEDB)';
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}
