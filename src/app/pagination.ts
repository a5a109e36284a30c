import type { SelectQueryBuilder } from 'kysely';
import { DomainError } from '../domain/errors.js';

/** Collections (API.md): `?limit=` (default 50, at most 500) and an opaque `?cursor=`. */
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 500;

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface Position {
  createdAt: string;
  id: string;
}

/** The position after a row: both keys, so rows created in the same millisecond are neither skipped nor repeated. */
export function encodeCursor(row: { created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string' && v.length > 0)) {
      return { createdAt: value[0] as string, id: value[1] as string };
    }
  } catch {
    // fall through: not ours
  }
  throw new DomainError('validation_failed', 'cursor is not a cursor this API gave out', {
    errors: [{ path: 'querystring:/cursor', message: 'is not a cursor this API gave out' }],
  });
}

/**
 * One page of a query, ordered by `created_at` then `id` (keyset pagination). The query must
 * select `created_at` and `id` of a single table and already be scoped to the caller.
 */
export async function paginate<T extends { created_at: string; id: string }>(
  query: SelectQueryBuilder<any, any, T>,
  page: PageRequest,
): Promise<Page<T>> {
  const limit = Math.min(page.limit ?? PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX);
  let scoped = query;
  if (page.cursor !== undefined) {
    const after = decodeCursor(page.cursor);
    scoped = scoped.where((eb: any) =>
      eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]),
    );
  }
  const rows = await scoped.orderBy('created_at').orderBy('id').limit(limit + 1).execute();
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
