import { loadConfig } from '../config.js';
import { createDb } from './create-db.js';
import { findViolations } from './verify.js';

/** `npm run verify`: checks every ledger and calendar invariant; exits 1 listing each violation. */
const db = createDb(loadConfig().databaseUrl);
try {
  const problems = await findViolations(db);
  if (problems.length === 0) {
    console.log('all invariants hold');
  } else {
    for (const p of problems) console.error(`violation: ${p}`);
    process.exitCode = 1;
  }
} finally {
  await db.close();
}
