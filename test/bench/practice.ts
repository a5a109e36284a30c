import type { Db } from '../../src/db/create-db.js';

/**
 * A practice set up through the public and practitioner API of a production server, as a real
 * practitioner and real clients would: signup → API token → availability, service, clients, grants;
 * clients sign in with the emailed code. Production has no dev outbox, so the code is read from the
 * database's mail_outbox, which is where the server puts it for the mailer.
 */
export interface BenchClient {
  id: string;
  email: string;
  /** The client's bearer token (a client session). */
  token: string;
  lotIds: string[];
}

export interface BenchPractice {
  slug: string;
  practiceId: string;
  serviceId: string;
  practitionerToken: string;
  clients: BenchClient[];
}

export interface PracticeOptions {
  slug: string;
  timeZone: string;
  /** POST /services body. */
  service: Record<string, unknown>;
  clientCount: number;
  /** Grants of CREDITS_PER_GRANT credits each; a hot client books thousands of times. */
  grantsPerClient: number;
}

const CREDITS_PER_GRANT = 1_000;
const SETUP_PARALLEL = 8;

export async function api(base: string, method: string, route: string, body?: unknown, auth?: { bearer?: string; cookie?: string }) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth?.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth?.cookie) headers.cookie = auth.cookie;
  const res = await fetch(`${base}/api/v1${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return { body: text ? JSON.parse(text) : null, setCookie: res.headers.getSetCookie() };
}

export const OPEN_EVERY_DAY = { weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '07:00', end: '21:00' })), overrides: [] };

export async function setUpPractice(base: string, db: Db, options: PracticeOptions): Promise<BenchPractice> {
  const signup = await api(base, 'POST', '/signup', {
    email: `owner@${options.slug}.example`,
    password: 'correct horse battery staple',
    name: 'Bench Owner',
    practiceName: `Bench ${options.slug}`,
    slug: options.slug,
    timeZone: options.timeZone,
  });
  const cookie = signup.setCookie.map((c) => c.split(';')[0]).join('; ');
  const practitionerToken = (await api(base, 'POST', '/tokens', { name: 'bench' }, { cookie })).body.token as string;
  const as = { bearer: practitionerToken };
  await api(base, 'PUT', '/availability', OPEN_EVERY_DAY, as);
  const serviceId = (await api(base, 'POST', '/services', options.service, as)).body.id as string;

  const clients: BenchClient[] = new Array(options.clientCount);
  await inBatches(options.clientCount, async (i) => {
    const email = `client${i}@${options.slug}.example`;
    const id = (await api(base, 'POST', '/clients', { email, name: `Client ${i}` }, as)).body.id as string;
    const lotIds: string[] = [];
    for (let g = 0; g < options.grantsPerClient; g++) {
      lotIds.push((await api(base, 'POST', `/clients/${id}/grants`, { credits: CREDITS_PER_GRANT, validityDays: null, reason: 'bench' }, as)).body.id as string);
    }
    clients[i] = { id, email, token: await signIn(base, db, options.slug, email), lotIds };
  });
  return { slug: options.slug, practiceId: signup.body.practice.id as string, serviceId, practitionerToken, clients };
}

/** The public sign-in: ask for a code, read it where the mailer would, exchange it for a bearer token. */
async function signIn(base: string, db: Db, slug: string, email: string): Promise<string> {
  await api(base, 'POST', `/public/${slug}/auth/code`, { email });
  const mail = await db.kysely.selectFrom('mail_outbox').select('subject').where('to_address', '=', email).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  const code = /(\d{6})$/.exec(mail.subject)?.[1];
  if (!code) throw new Error(`no sign-in code in "${mail.subject}"`);
  return (await api(base, 'POST', `/public/${slug}/auth/verify`, { email, code })).body.token as string;
}

async function inBatches(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: SETUP_PARALLEL }, async () => {
      while (next < count) await work(next++);
    }),
  );
}
