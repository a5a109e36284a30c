import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export const FETCH_TIMEOUT_MS = 10_000;
export const FETCH_BYTES_MAX = 5 * 1024 * 1024;
const REDIRECTS_MAX = 3;

/** A fetch that the rules refuse (a private address, a wrong scheme, too big, too slow); the message says which. */
export class FetchRefused extends Error {
  override name = 'FetchRefused';
}

/**
 * Only global unicast addresses may be fetched: an allow-list, so loopback, private, link-local,
 * carrier-grade NAT, documentation, benchmarking, multicast and the IPv6 transition ranges that can
 * reach IPv4 hosts (NAT64 64:ff9b::/96, 6to4, Teredo) are all refused, IPv4-mapped IPv6 included.
 */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const parsed = ipaddr.parse(address);
  const ip = parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
  return ip.range() !== 'unicast';
}

/** Ports a calendar may be served on: the web's own, or unprivileged ones (never SMTP, SSH…). */
function allowedPort(url: URL): boolean {
  if (url.port === '') return true;
  const port = Number(url.port);
  return port === 80 || port === 443 || port >= 1024;
}

/** Checks a URL before anything is fetched: http(s) only, and no literal private address unless allowed. */
export function checkUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchRefused('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchRefused('must be an http or https URL');
  if (url.username || url.password) throw new FetchRefused('must not carry a user name or password');
  if (!allowPrivate && !allowedPort(url)) throw new FetchRefused('must use port 80, 443 or one from 1024 up');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && isPrivateAddress(host)) throw new FetchRefused('points to a private or loopback address');
  return url;
}

/**
 * Resolves a host name and refuses it if any address is private. The connection then goes to the
 * address checked here, so a second DNS answer cannot slip a private address in (DNS rebinding).
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      // One answer for "no such name" and "a private name": the error is shown to the practitioner
      // and must not tell which internal names exist.
      const unreachable = new FetchRefused(`${hostname} does not resolve to a public address`);
      if (error) return callback(allowPrivate ? error : unreachable);
      const refused = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (refused) return callback(unreachable);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new FetchRefused(`${hostname} has no address`));
      callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}

/**
 * GETs a URL as text with a time limit on the whole exchange and a size limit on the body,
 * following a few redirects (each one checked again).
 */
export async function fetchText(raw: string, options: { allowPrivate: boolean; timeoutMs?: number; maxBytes?: number }): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? FETCH_TIMEOUT_MS);
  const maxBytes = options.maxBytes ?? FETCH_BYTES_MAX;
  let url = checkUrl(raw, options.allowPrivate);
  for (let hop = 0; hop <= REDIRECTS_MAX; hop++) {
    const answer = await getOnce(url, options.allowPrivate, deadline, maxBytes);
    if ('body' in answer) return answer.body;
    url = checkUrl(new URL(answer.location, url).toString(), options.allowPrivate);
  }
  throw new FetchRefused(`more than ${REDIRECTS_MAX} redirects`);
}

function getOnce(url: URL, allowPrivate: boolean, deadline: number, maxBytes: number): Promise<{ body: string } | { location: string }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'GET',
      headers: { accept: 'text/calendar, */*;q=0.5', 'user-agent': 'Tallybook calendar import' },
      lookup: guardedLookup(allowPrivate),
    });
    const timer = setTimeout(() => request.destroy(new FetchRefused('gave no complete answer in time')), Math.max(0, deadline - Date.now()));
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        clearTimeout(timer);
        response.resume();
        request.destroy();
        return resolve({ location: response.headers.location });
      }
      if (status !== 200) {
        response.resume();
        return request.destroy(new FetchRefused(`answered HTTP ${status}`));
      }
      if (Number(response.headers['content-length'] ?? 0) > maxBytes) {
        return request.destroy(new FetchRefused(`is larger than ${maxBytes} bytes`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return request.destroy(new FetchRefused(`is larger than ${maxBytes} bytes`));
        chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end();
  });
}
