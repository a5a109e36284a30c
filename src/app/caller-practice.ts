import type { Db } from '../db/create-db.js';
import type { PracticeRow } from '../db/schema.js';
import { getPractice } from './update-practice.js';

/** The practice the signed-in practitioner works in (GET /practice). */
export async function callerPractice(db: Db, caller: { practiceId: string }): Promise<PracticeRow> {
  return getPractice(db.kysely, caller);
}
