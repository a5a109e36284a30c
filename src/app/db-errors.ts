/** A unique-constraint violation on either dialect (SQLite's SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY, PostgreSQL's 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * The database gave up waiting for a lock or a statement (PostgreSQL's lock_timeout 55P03 or
 * statement_timeout 57014, SQLite's busy timeout): nothing was written, the request may be retried.
 */
export function isContentionTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '55P03' || code === '57014' || code === 'SQLITE_BUSY';
}
