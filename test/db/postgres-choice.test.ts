import { describe, expect, it } from 'vitest';
import { choosePostgres, LOCAL_POSTGRES_URL } from '../support/postgres-setup.js';

/** Which PostgreSQL a test run uses (test/support/postgres-setup.ts): never none by accident. */
describe('choosing the PostgreSQL of a test run', () => {
  const NOTHING_LISTENS = 'postgres://postgres@127.0.0.1:1/test';

  it('fails with how to set TEST_DATABASE_URL or opt out, when it is unset and nothing answers at the local default', async () => {
    const failure = choosePostgres({}, NOTHING_LISTENS);
    await expect(failure).rejects.toThrow(`TEST_DATABASE_URL is not set and ${NOTHING_LISTENS} does not answer`);
    await expect(failure).rejects.toThrow('TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DB npm test');
    await expect(failure).rejects.toThrow('TEST_SQLITE_ONLY=1 npm test');
  });

  it('fails when TEST_DATABASE_URL is set but does not answer, without printing its password', async () => {
    const failure = choosePostgres({ TEST_DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/test' }, LOCAL_POSTGRES_URL);
    await expect(failure).rejects.toThrow('TEST_DATABASE_URL=postgres://postgres:***@127.0.0.1:1/test does not work for the tests');
    await expect(failure).rejects.not.toThrow('hunter2');
  });

  it('runs without PostgreSQL only when told to with TEST_SQLITE_ONLY=1, and never in CI', async () => {
    expect(await choosePostgres({ TEST_SQLITE_ONLY: '1' }, NOTHING_LISTENS)).toBeNull();
    await expect(choosePostgres({ TEST_SQLITE_ONLY: '1', CI: 'true' }, NOTHING_LISTENS)).rejects.toThrow('CI=true and TEST_SQLITE_ONLY is set');
  });

  it('does not fall back to the local default in CI', async () => {
    await expect(choosePostgres({ CI: 'true' }, LOCAL_POSTGRES_URL)).rejects.toThrow('CI=true but TEST_DATABASE_URL is not set');
  });
});
