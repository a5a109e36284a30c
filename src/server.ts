import { systemClock } from './clock.js';
import { loadConfig } from './config.js';
import { assertWriteIsolation, createDb } from './db/create-db.js';
import { migrateToLatest } from './db/migrate.js';
import { buildApp } from './http/build-app.js';

/** The composition root: config → database → app → listen; SIGTERM drains and closes. */
const config = loadConfig();
const db = createDb(config.databaseUrl, { poolMax: config.databasePoolMax });
await migrateToLatest(db);
await assertWriteIsolation(db);
const app = await buildApp({ config, db, clock: systemClock });
if (config.devTools !== false) app.log.warn('dev tools on: /api/v1/dev/outbox shows every mail and the dev provider pays at once; set NODE_ENV=production for real use');

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, 'shutting down: finishing in-flight requests');
  try {
    await app.close(); // stops accepting, lets in-flight requests finish, runs onClose hooks (jobs)
    await db.close();
    process.exit(0);
  } catch (error) {
    app.log.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.host, port: config.port });
