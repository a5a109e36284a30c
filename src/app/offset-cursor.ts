import { validation } from './field-errors.js';

/**
 * Opaque offset cursors, for lists ordered by something other than creation (time, name).
 * Those lists are short per practice or client, so an offset stays cheap.
 */
export function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const match = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw validation('querystring:/cursor', 'is not a cursor this list gave out');
  return Number(match[1]);
}

/** The page and the cursor of the next one, from `limit + 1` rows fetched at `offset`. */
export function offsetPage<T>(rows: T[], offset: number, limit: number): { items: T[]; nextCursor: string | null } {
  return {
    items: rows.slice(0, limit),
    nextCursor: rows.length > limit ? Buffer.from(`o:${offset + limit}`).toString('base64url') : null,
  };
}
