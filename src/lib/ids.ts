import { createHash, randomBytes, randomInt } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Time-ordered ids: they sort by creation, which keeps cursors and indexes simple. */
export function newId(): string {
  return uuidv7();
}

/** A high-entropy secret for a cookie, bearer token or one-time link; store only its sha256. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function sixDigitCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}
