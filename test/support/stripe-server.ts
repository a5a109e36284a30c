import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A Stripe-shaped HTTP server on loopback, standing in for api.stripe.com in tests: it answers the
 * calls Tallybook makes (Checkout Sessions, payment intents, charges, refunds, accounts) with
 * Stripe-shaped JSON, honours `Idempotency-Key` as Stripe does (same key → same answer), records
 * every request, and plays the other side of a payment (`pay`, `dashboardRefund`). Events are
 * signed with the official client's `generateTestHeaderString` and delivered to the app's webhook.
 * No network: the official `stripe` client is pointed here with `host`, `port` and `protocol`.
 */

export const TEST_SECRET_KEY = 'sk_test_tallybook';
export const TEST_WEBHOOK_SECRET = 'whsec_tallybook_test';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  /** The form-encoded body decoded into nested objects and arrays, as Stripe reads it. */
  body: Record<string, any>;
  idempotencyKey: string | undefined;
  stripeAccount: string | undefined;
}

export interface FakeSession {
  id: string;
  object: 'checkout.session';
  mode: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid' | 'no_payment_required';
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  customer_email: string | null;
  metadata: Record<string, string>;
  success_url: string | null;
  cancel_url: string | null;
  url: string | null;
  expires_at: number;
  created: number;
  payment_intent: string | null;
  livemode: false;
}

export interface FakeCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_refunded: number;
  currency: string;
  payment_intent: string;
  refunded: boolean;
  status: 'succeeded';
  paid: true;
  created: number;
  livemode: false;
}

export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string;
  status: 'succeeded';
  metadata: Record<string, string>;
  created: number;
}

export interface FakeEvent {
  id: string;
  object: 'event';
  api_version: string;
  type: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  account?: string;
  data: { object: unknown };
}

/** Anything with Fastify's `inject` (the app), or the base URL of a listening server. */
export type WebhookTarget = { inject: (options: any) => Promise<{ statusCode: number; body: string; json: () => any }> } | string;

export interface StripeServer {
  /** `host`, `port`, `protocol` for `new Stripe(key, options)`, and STRIPE_API_URL for the app's config. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly sessions: Map<string, FakeSession>;
  readonly charges: Map<string, FakeCharge>;
  readonly refunds: FakeRefund[];
  /** Requests whose path matches, optionally of one method. */
  requestsTo(path: string | RegExp, method?: string): RecordedRequest[];
  /** The next matching request is answered with this error instead (then the server answers normally again). */
  failNext(path: string | RegExp, status: number, error?: { type?: string; message?: string; code?: string }): void;
  /** The next `times` matching requests are carried out, but their answers are lost (a 500 instead). */
  loseAnswers(path: string | RegExp, times: number): void;
  /** Connected accounts whose `charges_enabled` is false. */
  readonly chargesDisabled: Set<string>;
  /** The customer pays: the session completes with a payment intent and a charge (`async`: paid later, by `settleAsync`). */
  pay(sessionId: string, options?: { async?: boolean }): FakeSession;
  /** A delayed payment method (bank debit) succeeds or fails after the session completed unpaid. */
  settleAsync(sessionId: string, outcome: 'succeeded' | 'failed'): FakeSession;
  /** Stripe expires an open session (its 24 h, or its `expires_at`, ran out). */
  expire(sessionId: string): FakeSession;
  /** A refund made in Stripe's dashboard (no metadata of ours): the charge after it. */
  dashboardRefund(chargeId: string, amount: number): FakeCharge;
  /** The charge of a paid session. */
  chargeOf(sessionId: string): FakeCharge;
  /** An event as Stripe would send it. */
  event(type: string, object: unknown, options?: { account?: string; id?: string }): FakeEvent;
  /** Signs (generateTestHeaderString) and POSTs an event to `/api/v1/webhooks/stripe`. */
  deliver(
    target: WebhookTarget,
    event: FakeEvent,
    options?: { timestamp?: number; secret?: string; tamper?: (payload: string) => string },
  ): Promise<{ statusCode: number; body: any }>;
  /** What a hosted Checkout page's "Pay" does (for the browser test); set by the test. */
  onPay: ((session: FakeSession) => Promise<void>) | null;
  close(): Promise<void>;
}

const API_VERSION = '2026-11-18.endive';

export async function startStripeServer(options: { now?: () => number } = {}): Promise<StripeServer> {
  const nowSeconds = () => Math.floor((options.now?.() ?? Date.now()) / 1000);
  const requests: RecordedRequest[] = [];
  const sessions = new Map<string, FakeSession>();
  const intents = new Map<string, { id: string; object: 'payment_intent'; amount: number; currency: string; status: string; latest_charge: string | null }>();
  const charges = new Map<string, FakeCharge>();
  const refunds: FakeRefund[] = [];
  const idempotent = new Map<string, { status: number; body: unknown }>();
  const failures: { path: string | RegExp; status: number; error: { type?: string; message?: string; code?: string } }[] = [];
  const chargesDisabled = new Set<string>();
  const lost: { path: string | RegExp; times: number }[] = [];
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}_${(++counter).toString(36).padStart(6, '0')}${Math.random().toString(36).slice(2, 10)}`;
  let base = '';

  const matches = (pattern: string | RegExp, path: string) => (typeof pattern === 'string' ? path === pattern || path.startsWith(`${pattern}?`) : pattern.test(path));

  const stripeError = (status: number, message: string, type = 'invalid_request_error', code?: string) => ({
    status,
    body: { error: { type, message, ...(code ? { code } : {}) } },
  });

  function createSession(body: Record<string, any>): { status: number; body: unknown } {
    const items: any[] = body.line_items ?? [];
    if (items.length === 0) return stripeError(400, 'line_items is required');
    let currency = '';
    let amount = 0;
    for (const item of items) {
      const unit = Number(item.price_data?.unit_amount);
      if (!Number.isInteger(unit) || unit < 0) return stripeError(400, 'line_items[0][price_data][unit_amount] must be an integer');
      currency = String(item.price_data?.currency ?? '');
      amount += unit * Number(item.quantity ?? 1);
    }
    const created = nowSeconds();
    const expiresAt = body.expires_at !== undefined ? Number(body.expires_at) : created + 24 * 3600;
    if (expiresAt < created + 30 * 60 - 5 || expiresAt > created + 24 * 3600) {
      return stripeError(400, 'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.');
    }
    const id = nextId('cs_test');
    const session: FakeSession = {
      id,
      object: 'checkout.session',
      mode: String(body.mode),
      status: 'open',
      payment_status: 'unpaid',
      amount_total: amount,
      currency,
      client_reference_id: body.client_reference_id ?? null,
      customer_email: body.customer_email ?? null,
      metadata: body.metadata ?? {},
      success_url: body.success_url ?? null,
      cancel_url: body.cancel_url ?? null,
      url: `${base}/checkout/${id}`,
      expires_at: expiresAt,
      created,
      payment_intent: null,
      livemode: false,
    };
    sessions.set(id, session);
    return { status: 200, body: session };
  }

  function refund(body: Record<string, any>): { status: number; body: unknown } {
    const intent = body.payment_intent ? intents.get(String(body.payment_intent)) : undefined;
    const charge = intent?.latest_charge ? charges.get(intent.latest_charge) : body.charge ? charges.get(String(body.charge)) : undefined;
    if (!charge) return stripeError(404, `No such payment_intent: '${body.payment_intent ?? body.charge}'`, 'invalid_request_error', 'resource_missing');
    const amount = body.amount !== undefined ? Number(body.amount) : charge.amount - charge.amount_refunded;
    if (amount <= 0 || charge.amount_refunded + amount > charge.amount) {
      return stripeError(400, `Refund amount (${amount}) is greater than unrefunded amount on charge (${charge.amount - charge.amount_refunded})`, 'invalid_request_error', 'amount_too_large');
    }
    const made = addRefund(charge, amount, body.metadata ?? {});
    return { status: 200, body: made };
  }

  function addRefund(charge: FakeCharge, amount: number, metadata: Record<string, string>): FakeRefund {
    const made: FakeRefund = { id: nextId('re'), object: 'refund', amount, currency: charge.currency, charge: charge.id, payment_intent: charge.payment_intent, status: 'succeeded', metadata, created: nowSeconds() };
    refunds.push(made);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    return made;
  }

  function answer(method: string, path: string, query: Record<string, any>, body: Record<string, any>, account: string | undefined): { status: number; body: unknown } {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/checkout/sessions') return createSession(body);
    if ((m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path)) && method === 'GET') {
      const session = sessions.get(m[1]!);
      return session ? { status: 200, body: session } : stripeError(404, `No such checkout.session: '${m[1]}'`, 'invalid_request_error', 'resource_missing');
    }
    if ((m = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(path)) && method === 'POST') {
      const session = sessions.get(m[1]!);
      if (!session) return stripeError(404, `No such checkout.session: '${m[1]}'`, 'invalid_request_error', 'resource_missing');
      if (session.status !== 'open') return stripeError(400, `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`);
      session.status = 'expired';
      session.url = null;
      return { status: 200, body: session };
    }
    if ((m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path)) && method === 'GET') {
      const intent = intents.get(m[1]!);
      return intent ? { status: 200, body: intent } : stripeError(404, `No such payment_intent: '${m[1]}'`, 'invalid_request_error', 'resource_missing');
    }
    if ((m = /^\/v1\/charges\/([^/]+)$/.exec(path)) && method === 'GET') {
      const charge = charges.get(m[1]!);
      return charge ? { status: 200, body: charge } : stripeError(404, `No such charge: '${m[1]}'`, 'invalid_request_error', 'resource_missing');
    }
    if (method === 'POST' && path === '/v1/refunds') return refund(body);
    if (method === 'GET' && path === '/v1/refunds') {
      const data = refunds.filter((r) => (!query.charge || r.charge === query.charge) && (!query.payment_intent || r.payment_intent === query.payment_intent)).reverse();
      return { status: 200, body: { object: 'list', url: '/v1/refunds', has_more: false, data } };
    }
    if (method === 'GET' && (path === '/v1/account' || (m = /^\/v1\/accounts\/([^/]+)$/.exec(path)))) {
      const id = m?.[1] ?? account ?? 'acct_platform';
      return { status: 200, body: { id, object: 'account', charges_enabled: !chargesDisabled.has(id), details_submitted: true } };
    }
    return stripeError(404, `Unrecognized request URL (${method}: ${path}).`);
  }

  async function checkoutPage(path: string, method: string, res: http.ServerResponse): Promise<boolean> {
    const m = /^\/checkout\/([^/]+)(\/pay)?$/.exec(path);
    if (!m) return false;
    const session = sessions.get(m[1]!);
    if (!session) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such session');
      return true;
    }
    if (m[2] && method === 'POST') {
      if (!server.onPay) throw new Error('no onPay handler set for the checkout page');
      await server.onPay(session);
      res.writeHead(303, { location: session.success_url!.replace('{CHECKOUT_SESSION_ID}', session.id) }).end();
      return true;
    }
    const amount = (session.amount_total / 100).toFixed(2);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      `<!doctype html><html lang="en"><head><title>Test Checkout</title></head><body><main><h1>Test Checkout</h1>` +
        `<p>Pay ${amount} ${session.currency.toUpperCase()}</p>` +
        `<form method="post" action="/checkout/${session.id}/pay"><button type="submit">Pay</button></form>` +
        (session.cancel_url ? `<a href="${session.cancel_url}">Back</a>` : '') +
        `</main></body></html>`,
    );
    return true;
  }

  const httpServer = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://stripe.test');
        const method = req.method ?? 'GET';
        if (await checkoutPage(url.pathname, method, res)) return;
        const body = decodeForm(raw);
        const query = decodeForm(url.search.slice(1));
        const idempotencyKey = header(req, 'idempotency-key');
        const stripeAccount = header(req, 'stripe-account');
        requests.push({ method, path: url.pathname, query, body, idempotencyKey, stripeAccount });
        const failure = failures.findIndex((f) => matches(f.path, url.pathname));
        let result: { status: number; body: unknown };
        if (failure >= 0) {
          const [f] = failures.splice(failure, 1);
          result = stripeError(f!.status, f!.error.message ?? 'failure injected by the test', f!.error.type ?? (f!.status >= 500 ? 'api_error' : 'invalid_request_error'), f!.error.code);
        } else if (method === 'POST' && idempotencyKey && idempotent.has(`${stripeAccount}:${idempotencyKey}`)) {
          result = idempotent.get(`${stripeAccount}:${idempotencyKey}`)!;
        } else {
          result = answer(method, url.pathname, query, body, stripeAccount);
          // Stripe keeps the first answer of a key (errors of a bad request included) for 24 h.
          if (method === 'POST' && idempotencyKey && result.status < 500) idempotent.set(`${stripeAccount}:${idempotencyKey}`, result);
        }
        const lose = lost.find((l) => l.times > 0 && matches(l.path, url.pathname));
        if (lose) {
          lose.times--;
          result = stripeError(500, 'the answer was lost on the way', 'api_error');
        }
        res.writeHead(result.status, { 'content-type': 'application/json', 'request-id': nextId('req') }).end(JSON.stringify(result.body));
      })().catch((error) => {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
      });
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const signer = new Stripe(TEST_SECRET_KEY);

  const session = (id: string) => {
    const found = sessions.get(id);
    if (!found) throw new Error(`no session ${id}`);
    return found;
  };

  function charge(s: FakeSession): FakeCharge {
    const intentId = nextId('pi');
    const chargeId = nextId('ch');
    const made: FakeCharge = { id: chargeId, object: 'charge', amount: s.amount_total, amount_refunded: 0, currency: s.currency, payment_intent: intentId, refunded: false, status: 'succeeded', paid: true, created: nowSeconds(), livemode: false };
    charges.set(chargeId, made);
    intents.set(intentId, { id: intentId, object: 'payment_intent', amount: s.amount_total, currency: s.currency, status: 'succeeded', latest_charge: chargeId });
    s.payment_intent = intentId;
    return made;
  }

  const server: StripeServer = {
    url: base,
    requests,
    sessions,
    charges,
    refunds,
    chargesDisabled,
    onPay: null,
    requestsTo: (path, method) => requests.filter((r) => matches(path, r.path) && (!method || r.method === method)),
    failNext: (path, status, error = {}) => void failures.push({ path, status, error }),
    loseAnswers: (path, times) => void lost.push({ path, times }),
    pay(id, opts = {}) {
      const s = session(id);
      if (s.status !== 'open') throw new Error(`session ${id} is ${s.status}`);
      s.status = 'complete';
      s.url = null;
      if (opts.async) {
        // A delayed method: a payment intent exists, no charge has succeeded yet.
        const intentId = nextId('pi');
        intents.set(intentId, { id: intentId, object: 'payment_intent', amount: s.amount_total, currency: s.currency, status: 'processing', latest_charge: null });
        s.payment_intent = intentId;
      } else {
        charge(s);
        s.payment_status = 'paid';
      }
      return { ...s };
    },
    settleAsync(id, outcome) {
      const s = session(id);
      if (outcome === 'succeeded') {
        const intent = intents.get(s.payment_intent!)!;
        const chargeId = nextId('ch');
        charges.set(chargeId, { id: chargeId, object: 'charge', amount: s.amount_total, amount_refunded: 0, currency: s.currency, payment_intent: intent.id, refunded: false, status: 'succeeded', paid: true, created: nowSeconds(), livemode: false });
        intent.status = 'succeeded';
        intent.latest_charge = chargeId;
        s.payment_status = 'paid';
      } else {
        intents.get(s.payment_intent!)!.status = 'requires_payment_method';
      }
      return { ...s };
    },
    expire(id) {
      const s = session(id);
      if (s.status !== 'open') throw new Error(`session ${id} is ${s.status}`);
      s.status = 'expired';
      s.url = null;
      return { ...s };
    },
    dashboardRefund(chargeId, amount) {
      const c = charges.get(chargeId);
      if (!c) throw new Error(`no charge ${chargeId}`);
      addRefund(c, amount, {});
      return { ...c };
    },
    chargeOf(id) {
      const s = session(id);
      const found = [...charges.values()].find((c) => c.payment_intent === s.payment_intent);
      if (!found) throw new Error(`session ${id} has no charge`);
      return found;
    },
    event(type, object, opts = {}) {
      return {
        id: opts.id ?? nextId('evt'),
        object: 'event',
        api_version: API_VERSION,
        type,
        created: nowSeconds(),
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        ...(opts.account ? { account: opts.account } : {}),
        data: { object: JSON.parse(JSON.stringify(object)) },
      };
    },
    async deliver(target, event, opts = {}) {
      const payload = JSON.stringify(event);
      const signature = signer.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? TEST_WEBHOOK_SECRET, timestamp: opts.timestamp ?? nowSeconds() });
      const sent = opts.tamper ? opts.tamper(payload) : payload;
      const headers = { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
      if (typeof target === 'string') {
        const res = await fetch(`${target}/api/v1/webhooks/stripe`, { method: 'POST', headers, body: sent });
        const text = await res.text();
        return { statusCode: res.status, body: text ? JSON.parse(text) : null };
      }
      const res = await target.inject({ method: 'POST', url: '/api/v1/webhooks/stripe', headers, payload: sent });
      return { statusCode: res.statusCode, body: res.body ? res.json() : null };
    },
    close: () => new Promise<void>((resolve) => httpServer.close(() => resolve())),
  };
  return server;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `a[b][0][c]=x&d=y` → `{a: {b: [{c: 'x'}]}, d: 'y'}`, as Stripe decodes its form bodies. */
export function decodeForm(text: string): Record<string, any> {
  const result: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node: any = result;
    path.forEach((part, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!);
      if (last) node[part] = value;
      else node = node[part] ??= nextIsIndex ? [] : {};
    });
  }
  return result;
}

/** The official client pointed at a local server, as the app's STRIPE_API_URL does. */
export function stripeClientFor(url: string): Stripe {
  const parsed = new URL(url);
  return new Stripe(TEST_SECRET_KEY, { host: parsed.hostname, port: Number(parsed.port), protocol: parsed.protocol.replace(':', '') as 'http' | 'https', maxNetworkRetries: 0 });
}
