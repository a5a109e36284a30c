import { loadConfig } from '../config.js';
import { createDb } from './create-db.js';
import { migrateToLatest } from './migrate.js';

const db = createDb(loadConfig().databaseUrl);
try {
  await migrateToLatest(db);
  console.log('database is up to date');
} finally {
  await db.close();
}
