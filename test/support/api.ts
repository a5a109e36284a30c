import type { TestContext } from './app.js';

let counter = 0;
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

export interface Practitioner {
  cookie: string;
  headers: Record<string, string>;
  practice: { id: string; slug: string; timeZone: string; currency: string };
  user: { id: string; email: string };
  email: string;
  password: string;
}

/** Signs a new practitioner up through the API; `headers` carry their session cookie. */
export async function signUpPractitioner(ctx: TestContext, overrides: Record<string, unknown> = {}): Promise<Practitioner> {
  const slug = unique('p-');
  const email = `${slug}@example.com`;
  const password = 'correct horse battery';
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/signup',
    payload: { email, password, name: 'Dana Coach', practiceName: 'Dana Coaching', slug, timeZone: 'Europe/London', ...overrides },
  });
  if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
  const cookie = sessionCookie(res.headers['set-cookie'], 'tb_session');
  return { cookie, headers: { cookie }, practice: res.json().practice, user: res.json().user, email, password };
}

export function sessionCookie(setCookie: string | string[] | undefined, name: string): string {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const found = all.find((c) => c.startsWith(`${name}=`));
  if (!found) throw new Error(`no ${name} cookie in ${JSON.stringify(all)}`);
  return found.split(';')[0]!;
}

/** The newest mail to an address, from the outbox the app keeps without SMTP. */
export async function latestMail(ctx: TestContext, to: string) {
  await ctx.app.deps.mail.idle();
  const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(to)}` });
  return res.json().items[0] as { to: string; subject: string; text: string } | undefined;
}
