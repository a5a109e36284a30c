import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isUniqueViolation } from '../app/db-errors.js';
import type { Trx } from '../db/create-db.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import type { AppDeps } from '../deps.js';
import { problemBody } from './plugins/problem-details.js';
import { IDEMPOTENCY_KEY_LENGTH_MAX } from './schemas.js';

export interface Outcome {
  status: number;
  body: unknown;
}

/**
 * The step after commit of a write that calls out (a Stripe Checkout opened for the purchase just
 * recorded): it turns the committed outcome into the answer. It runs after the first commit and
 * again on every replay of a success, so it must be idempotent itself (Stripe's idempotency key,
 * a stored session): a replay after a failed or crashed call out completes it.
 */
export type Finish = (outcome: Outcome) => Promise<Outcome>;

async function finished(outcome: Outcome, finish: Finish | undefined): Promise<Outcome> {
  return finish && outcome.status < 300 ? finish(outcome) : outcome;
}

/**
 * Runs a write once per `Idempotency-Key` (scoped to the caller and route). The key's row is
 * inserted in the same transaction as the write, so a concurrent repeat waits on it and then
 * answers the stored result; a refused request (a 409, a 402) is stored too, so a repeat answers
 * exactly what the first did. Without a key, the write simply runs.
 */
export async function runIdempotent(
  deps: AppDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (trx: Trx) => Promise<Outcome>,
  afterCommit?: () => void,
  finish?: Finish,
): Promise<void> {
  const key = request.headers['idempotency-key'];
  if (key === undefined) {
    const outcome = await deps.db.write(work);
    afterCommit?.();
    await reply.code(outcome.status).send((await finished(outcome, finish)).body);
    return;
  }
  if (typeof key !== 'string' || key.length === 0 || key.length > IDEMPOTENCY_KEY_LENGTH_MAX) {
    throw new DomainError('validation_failed', `Idempotency-Key must be 1–${IDEMPOTENCY_KEY_LENGTH_MAX} characters`, {
      errors: [{ path: 'header:Idempotency-Key', message: 'is invalid' }],
    });
  }
  const caller = request.caller;
  // A member (not the account) scopes a practitioner's keys: one account acts in several practices. A
  // migrated owner's member id is their user id, so keys stored before teams still match.
  const scope = `${caller?.kind}:${caller && 'memberId' in caller ? caller.memberId : caller?.clientId}:${request.routeOptions.url}:${JSON.stringify(request.params)}:${key}`;
  const requestHash = createHash('sha256').update(JSON.stringify(request.body ?? null)).digest('hex');
  const now = deps.clock.now();

  if (await replay(deps, scope, requestHash, reply, finish)) return;
  try {
    const outcome = await deps.db.write(async (trx) => {
      await trx.insertInto('idempotency_keys').values({ scope, request_hash: requestHash, status_code: 0, response_json: 'null', created_at: iso(now) }).execute();
      const result = await work(trx);
      await trx.updateTable('idempotency_keys').set({ status_code: result.status, response_json: JSON.stringify(result.body) }).where('scope', '=', scope).execute();
      return result;
    });
    afterCommit?.();
    await reply.code(outcome.status).send((await finished(outcome, finish)).body);
  } catch (error) {
    if (isUniqueViolation(error)) {
      if (await replay(deps, scope, requestHash, reply, finish)) return;
    }
    if (error instanceof DomainError) {
      const body = problemBody(error.code, error.message, error.extra);
      await deps.db
        .write((trx) =>
          trx
            .insertInto('idempotency_keys')
            .values({ scope, request_hash: requestHash, status_code: body.status, response_json: JSON.stringify(body), created_at: iso(now) })
            .onConflict((oc) => oc.column('scope').doNothing())
            .execute(),
        )
        .catch(() => {});
    }
    throw error;
  }
}

/** Answers from a stored outcome; false when there is none yet. */
async function replay(deps: AppDeps, scope: string, requestHash: string, reply: FastifyReply, finish: Finish | undefined): Promise<boolean> {
  const row = await deps.db.kysely.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).executeTakeFirst();
  if (!row || row.status_code === 0) return false;
  if (row.request_hash !== requestHash) throw new DomainError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
  const outcome = await finished({ status: row.status_code, body: JSON.parse(row.response_json) }, finish);
  reply.header('idempotent-replayed', 'true');
  if (row.status_code >= 400) reply.type('application/problem+json');
  await reply.code(outcome.status).send(outcome.body);
  return true;
}
