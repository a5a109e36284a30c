import { configDefaults, defineConfig } from 'vitest/config';

/** Tests that run the built server (dist/) or the built web app (web/dist/): only they pay for the build. */
const NEEDS_BUILD = ['test/e2e/practical.test.ts', 'test/server/**/*.test.ts', 'test/concurrency/two-processes.test.ts', 'test/mail/outbox-crash.test.ts'];
/** Pure tests: no database, no build. */
const NEEDS_NOTHING = ['test/domain/**/*.test.ts', 'test/e2e/web-routes.test.ts'];

/**
 * Three projects, so that a run pays only for what its selected files need (vitest runs a project's
 * globalSetup only when one of its files is selected); `npm test` runs them all.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: NEEDS_NOTHING } },
      {
        extends: true,
        test: {
          name: 'database',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...NEEDS_NOTHING, ...NEEDS_BUILD],
          globalSetup: ['test/support/postgres-setup.ts'],
        },
      },
      { extends: true, test: { name: 'built', include: NEEDS_BUILD, globalSetup: ['test/support/postgres-setup.ts', 'test/support/build-setup.ts'] } },
    ],
  },
});
