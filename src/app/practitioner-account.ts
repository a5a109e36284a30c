import type { Db } from '../db/create-db.js';
import type { PracticeRow, UserRow } from '../db/schema.js';

/** The signed-in practitioner and their practice (GET /auth/session). */
export async function practitionerAccount(db: Db, caller: { userId: string; practiceId: string }): Promise<{ user: UserRow; practice: PracticeRow }> {
  const user = await db.kysely.selectFrom('users').selectAll().where('id', '=', caller.userId).executeTakeFirstOrThrow();
  const practice = await db.kysely.selectFrom('practices').selectAll().where('id', '=', caller.practiceId).executeTakeFirstOrThrow();
  return { user, practice };
}
