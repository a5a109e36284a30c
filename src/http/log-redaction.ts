import type { IncomingHttpHeaders } from 'node:http';

export const REDACTED = '[redacted]';

/** Query parameters that carry a credential (a reset link's `token`, a sign-in `code`); names compared case-insensitively. */
const SECRET_QUERY_PARAMS = new Set(['token', 'code', 'secret', 'password']);
/** Our own secrets (`newSecret`: `tbs_…`, `tbc_…`, `tbp_…`, `tbr_…`, `tbf_…`), wherever they show up in a URL. */
const TALLYBOOK_SECRET = /tb[a-z]_[A-Za-z0-9_-]{16,}/g;
/** URLs whose path segment is the credential: the calendar feed is `/calendar-feed/<secret>.ics`. */
const SECRET_PATH = /(\/calendar-feed\/)[^/]+?(\.ics)?$/;

/**
 * The URL as it may be written to a log: secrets in the path or the query become `[redacted]`,
 * the rest stays, so a request can still be traced. Logs are read by more people, and kept
 * longer, than the database.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(SECRET_PATH, `$1${REDACTED}$2`).replace(TALLYBOOK_SECRET, REDACTED);
  if (q < 0) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      if (eq >= 0 && SECRET_QUERY_PARAMS.has(decoded(name).toLowerCase())) return `${name}=${REDACTED}`;
      return pair.replace(TALLYBOOK_SECRET, REDACTED);
    })
    .join('&');
  return `${path}?${query}`;
}

function decoded(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    return component;
  }
}

/** What a request looks like to the logger at run time: Fastify passes its request (with `ip`, `host`). */
interface LoggedRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers?: IncomingHttpHeaders;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number | undefined } | null;
}

/** Fastify's default request serializer (method, url, version, host, address), with the URL redacted. */
export function serializeRequest(request: LoggedRequest) {
  const version = request.headers?.['accept-version'];
  return {
    method: request.method,
    url: request.url === undefined ? undefined : redactUrl(request.url),
    version: Array.isArray(version) ? version.join(',') : version,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
