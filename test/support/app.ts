import { afterAll, beforeAll, describe } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Db, DialectName } from '../../src/db/create-db.js';
import { buildApp, type App } from '../../src/http/build-app.js';
import { DIALECTS, openTestDb } from './databases.js';

export const TEST_START = '2026-03-02T08:00:00.000Z'; // a Monday

export interface TestContext {
  dialect: DialectName;
  app: App;
  db: Db;
  clock: FakeClock;
  config: Config;
  databaseUrl: string;
}

/**
 * Runs a suite once per dialect (SQLite, and PostgreSQL unless TEST_SQLITE_ONLY=1: see databases.ts),
 * each against its own fresh database and app. Read `ctx` inside tests and hooks only.
 */
export function describeEachDialect(
  title: string,
  suite: (ctx: TestContext) => void,
  options: { config?: Partial<Config>; start?: string } = {},
): void {
  for (const dialect of DIALECTS) {
    describe(`${title} [${dialect}]`, () => {
      const ctx = { dialect } as TestContext;
      let drop: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        const opened = await openTestDb(dialect);
        drop = opened.drop;
        ctx.db = opened.db;
        ctx.databaseUrl = opened.url;
        ctx.clock = new FakeClock(options.start ?? TEST_START);
        ctx.config = testConfig({ databaseUrl: opened.url, ...options.config });
        ctx.app = await buildApp({ config: ctx.config, db: ctx.db, clock: ctx.clock });
        await ctx.app.ready();
      });
      afterAll(async () => {
        await ctx.app?.close();
        await drop?.();
      });
      suite(ctx);
    });
  }
}
