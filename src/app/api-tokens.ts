import type { Db } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import { newId, newSecret, sha256 } from '../lib/ids.js';

type Practitioner = { practiceId: string; userId: string };

/** Creates a bearer token for scripts; the secret is returned once and stored only as a hash. */
export async function createApiToken(db: Db, caller: Practitioner, name: string, now: Date) {
  const token = newSecret('tbp');
  const row = {
    id: newId(),
    practice_id: caller.practiceId,
    user_id: caller.userId,
    name,
    token_hash: sha256(token),
    created_at: iso(now),
    last_used_at: null,
    revoked_at: null,
  };
  await db.write((trx) => trx.insertInto('api_tokens').values(row).execute());
  return { id: row.id, name, token, createdAt: row.created_at };
}

/** A member's own tokens in the practice they act in (another member's are not found). */
export async function listApiTokens(db: Db, caller: Practitioner) {
  const rows = await db.kysely
    .selectFrom('api_tokens')
    .select(['id', 'name', 'created_at', 'last_used_at'])
    .where('practice_id', '=', caller.practiceId)
    .where('user_id', '=', caller.userId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

export async function revokeApiToken(db: Db, caller: Practitioner, id: string, now: Date): Promise<void> {
  const result = await db.write((trx) =>
    trx
      .updateTable('api_tokens')
      .set({ revoked_at: iso(now) })
      .where('id', '=', id)
      .where('practice_id', '=', caller.practiceId)
      .where('user_id', '=', caller.userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst(),
  );
  if (Number(result.numUpdatedRows) !== 1) throw new DomainError('not_found', 'no such token');
}
