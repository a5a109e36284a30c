import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export const FETCH_TIMEOUT_MS = 10_000;
export const FETCH_BYTES_MAX = 5 * 1024 * 1024;
const REDIRECTS_MAX = 3;

/** A fetch that the rules refuse (a private address, a wrong scheme, too big, too slow); the message says which. */
export class FetchRefused extends Error {
  override name = 'FetchRefused';
}

const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** Loopback, private, link-local, multicast and unspecified addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  return PRIVATE.check(address, 'ipv6');
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
      if (error) return callback(error);
      const refused = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (refused) return callback(new FetchRefused(`${hostname} resolves to a private or loopback address`));
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
