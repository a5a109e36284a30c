import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A strong entity tag computed from the numbers a representation is made of, before it is
 * serialised: a repeated request (a booking page polling or revisited) is answered 304 without
 * formatting or sending the body.
 */
export function numericEtag(label: string, numbers: ArrayLike<number>): string {
  const values = Float64Array.from(numbers);
  const digest = createHash('sha256').update(label).update(new Uint8Array(values.buffer)).digest('base64url');
  return `"${digest.slice(0, 27)}"`;
}

/**
 * Sets the tag (with `Cache-Control: no-cache`: caches keep the body but ask every time, since what
 * is free changes) and tells whether the request's If-None-Match already names it.
 */
export function notModified(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  reply.header('etag', etag).header('cache-control', 'no-cache');
  const header = request.headers['if-none-match'];
  if (!header) return false;
  // Weak comparison, as RFC 9110 asks for If-None-Match: W/"x" matches "x".
  return header.split(',').some((tag) => {
    const candidate = tag.trim().replace(/^W\//, '');
    return candidate === '*' || candidate === etag;
  });
}

/** A 304: no body, so neither a length nor a type that a client would wait on or misread. */
export function sendNotModified(reply: FastifyReply): FastifyReply {
  return reply.code(304).removeHeader('content-type').send(undefined as never);
}

/**
 * Sends JSON already serialised by the route (a string payload goes out as it is). The route's
 * response schema still documents it; the type provider cannot know the string matches it, so
 * the cast lives here, once, and the route's test compares the body with the schema's own output.
 */
export function sendSerialised(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json as never);
}
