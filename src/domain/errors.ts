/**
 * Every rule a request can break, in the precedence order of API.md.
 * The HTTP layer maps each code to a status in one table (http/plugins/problem-details.ts).
 */
export const ERROR_CODES = [
  'payload_too_large',
  'unsupported_media_type',
  'validation_failed',
  'unauthenticated',
  'forbidden',
  'not_found',
  'rate_limited',
  'idempotency_key_reused',
  'booking_not_cancellable',
  'booking_not_reschedulable',
  'slot_unavailable',
  'credits_exhausted',
  'payments_not_configured',
  'payment_provider_error',
  'conflict',
  'busy',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** A broken business rule. `extra` is merged into the problem body (e.g. `packages` of a 402). */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}

/** A programmer error: an invariant the code itself must keep. Never caused by user input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}
