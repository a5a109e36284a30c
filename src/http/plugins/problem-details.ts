import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FieldError } from '../../app/field-errors.js';
import { isContentionTimeout } from '../../app/db-errors.js';
import { DomainError, type ErrorCode } from '../../domain/errors.js';

/** The one table from error code to HTTP status: an unmapped code does not compile. */
export const PROBLEMS: Record<ErrorCode, { status: number; title: string }> = {
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  validation_failed: { status: 400, title: 'Validation failed' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  rate_limited: { status: 429, title: 'Too many requests' },
  idempotency_key_reused: { status: 422, title: 'Idempotency key reused' },
  booking_not_cancellable: { status: 409, title: 'Booking cannot be cancelled' },
  booking_not_reschedulable: { status: 409, title: 'Booking cannot be rescheduled' },
  slot_unavailable: { status: 409, title: 'Slot unavailable' },
  credits_exhausted: { status: 402, title: 'No credits cover this session' },
  payments_not_configured: { status: 409, title: 'Payments not configured' },
  payment_provider_error: { status: 502, title: 'Payment provider error' },
  conflict: { status: 409, title: 'Conflict' },
  busy: { status: 503, title: 'Busy, try again' },
};

export function problemBody(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}) {
  const { status, title } = PROBLEMS[code];
  return { type: `/problems/${code}`, title, status, detail, code, ...extra };
}

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}) {
  const body = problemBody(code, detail, extra);
  return reply.code(body.status).type('application/problem+json').send(body);
}

/** Fastify's own 4xx errors (body parsing, content types) in our vocabulary. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation_failed',
};

export function registerProblemDetails(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof DomainError) {
      const retryAfterSeconds = error.extra.retryAfterSeconds;
      if (typeof retryAfterSeconds === 'number') reply.header('retry-after', String(retryAfterSeconds));
      return sendProblem(reply, error.code, error.message, error.extra);
    }
    if (error.validation) {
      const errors: FieldError[] = error.validation.map((e) => ({
        path: fieldPath(error.validationContext, e.instancePath, e.params as Record<string, unknown>),
        message: e.message ?? 'is invalid',
      }));
      return sendProblem(reply, 'validation_failed', `${errors.length} invalid field(s)`, { errors });
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) {
      const extra = mapped === 'validation_failed' ? { errors: [{ path: '', message: error.message }] } : {};
      return sendProblem(reply, mapped, error.message, extra);
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'client error');
      return sendProblem(reply, 'validation_failed', error.message, { errors: [{ path: '', message: error.message }] });
    }
    if (isContentionTimeout(error)) {
      request.log.warn({ err: error }, 'gave up waiting for a lock');
      reply.header('retry-after', '1');
      return sendProblem(reply, 'busy', 'the practice is busy with another change; try again in a moment');
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .code(500)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: 'Internal Server Error', status: 500 });
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
}

function fieldPath(part: string | undefined, instancePath: string, params: Record<string, unknown>): string {
  const missing = typeof params.missingProperty === 'string' ? `/${params.missingProperty}` : '';
  const extra = typeof params.additionalProperty === 'string' ? `/${params.additionalProperty}` : '';
  const pointer = `${instancePath}${missing}${extra}`;
  return part && part !== 'body' ? `${part}:${pointer || '/'}` : pointer || '/';
}
