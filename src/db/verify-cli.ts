import { loadConfig } from '../config.js';
import { createDb } from './create-db.js';
import { findViolations } from './verify.js';

/**
 * `npm run verify`: checks every ledger and calendar invariant in one read-only snapshot, so it is
 * safe on a live database; lists each violation and exits 1 when there is any.
 */
const db = createDb(loadConfig().databaseUrl);
try {
  const problems = await findViolations(db);
  if (problems.length === 0) {
    console.log('all invariants hold');
  } else {
    for (const p of problems) console.error(`violation: ${p}`);
    console.error(`${problems.length} violation(s)`);
    process.exitCode = 1;
  }
} finally {
  await db.close();
}
