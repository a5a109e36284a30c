import type Stripe from 'stripe';

/**
 * Stripe, as much of it as Tallybook uses, over the official client: Checkout Sessions (mode
 * `payment`), the charge of a payment intent, refunds, whether an account can take charges, and
 * signed webhook events. Every call names the connected account it acts for (`Stripe-Account`,
 * direct charges) or null for the install's own account. Errors come out as PaymentProviderError.
 */
export interface StripeGateway {
  createCheckout(spec: CheckoutSpec): Promise<CheckoutSession>;
  retrieveCheckout(sessionId: string, account: string | null): Promise<CheckoutSession>;
  /** Expires an open session; a session that is no longer open is answered as it is. */
  expireCheckout(sessionId: string, account: string | null): Promise<CheckoutSession>;
  /** The charge that paid a payment intent (named on receipts), or null. */
  latestCharge(paymentIntentId: string, account: string | null): Promise<string | null>;
  createRefund(spec: RefundSpec): Promise<StripeRefund>;
  refundsOfCharge(chargeId: string, account: string | null): Promise<StripeRefund[]>;
  chargesEnabled(account: string | null): Promise<boolean>;
  /** `constructEvent` on the raw body, tolerance WEBHOOK_TOLERANCE_SECONDS at `receivedAtMs`; throws on a bad or stale signature. */
  verifyEvent(rawBody: Buffer | string, signature: string, receivedAtMs: number): StripeEvent;
}

export interface CheckoutSpec {
  amount: number;
  /** ISO 4217, as Tallybook keeps it (upper case). */
  currency: string;
  description: string;
  clientReferenceId: string;
  metadata: Record<string, string>;
  successUrl: string;
  cancelUrl: string;
  expiresAtMs: number | null;
  customerEmail: string | null;
  idempotencyKey: string;
  account: string | null;
}

export interface CheckoutSession {
  id: string;
  url: string | null;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  paymentIntent: string | null;
  amountTotal: number | null;
  currency: string | null;
  metadata: Record<string, string>;
  expiresAtMs: number;
}

export interface RefundSpec {
  paymentIntent: string;
  amount: number;
  metadata: Record<string, string>;
  idempotencyKey: string;
  account: string | null;
}

export interface StripeRefund {
  id: string;
  amount: number;
  status: string;
  metadata: Record<string, string>;
}

/** The parts of a verified event Tallybook reads; `object` is `data.object` as Stripe sent it. */
export interface StripeEvent {
  id: string;
  type: string;
  account: string | null;
  object: Record<string, any>;
}

export const WEBHOOK_TOLERANCE_SECONDS = 300;
const REQUEST_TIMEOUT_MS = 20_000;
const NETWORK_RETRIES = 2;

/**
 * A call to Stripe that did not succeed. `definitive`: Stripe refused the request itself (it will
 * be refused again); otherwise it may have failed on the way (a retry with the same idempotency key
 * is safe and may succeed).
 */
export class PaymentProviderError extends Error {
  constructor(
    message: string,
    readonly definitive: boolean,
  ) {
    super(message);
    this.name = 'PaymentProviderError';
  }
}

export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError';
}

/**
 * The official client is loaded only when Stripe is configured: it is the largest module of the
 * server (a quarter of a second of every start-up without it).
 */
export async function createStripeGateway(config: { secretKey: string; webhookSecret: string; apiUrl: string | null }): Promise<StripeGateway> {
  const { default: StripeClient } = await import('stripe');
  const call = <T>(work: () => Promise<T>) => asProviderErrors(StripeClient.errors, work);
  const client = new StripeClient(config.secretKey, { ...endpoint(config.apiUrl), maxNetworkRetries: NETWORK_RETRIES, timeout: REQUEST_TIMEOUT_MS, appInfo: { name: 'Tallybook' } });
  const on = (account: string | null) => (account ? { stripeAccount: account } : {});

  return {
    createCheckout: (spec) =>
      call(async () =>
        session(
          await client.checkout.sessions.create(
            {
              mode: 'payment',
              line_items: [{ quantity: 1, price_data: { currency: spec.currency.toLowerCase(), unit_amount: spec.amount, product_data: { name: spec.description } } }],
              client_reference_id: spec.clientReferenceId,
              metadata: spec.metadata,
              payment_intent_data: { metadata: spec.metadata },
              success_url: spec.successUrl,
              cancel_url: spec.cancelUrl,
              ...(spec.customerEmail ? { customer_email: spec.customerEmail } : {}),
              ...(spec.expiresAtMs !== null ? { expires_at: Math.ceil(spec.expiresAtMs / 1000) } : {}),
            },
            { idempotencyKey: spec.idempotencyKey, ...on(spec.account) },
          ),
        ),
      ),
    retrieveCheckout: (id, account) => call(async () => session(await client.checkout.sessions.retrieve(id, {}, on(account)))),
    expireCheckout: (id, account) =>
      call(async () => {
        const current = await client.checkout.sessions.retrieve(id, {}, on(account));
        if (current.status !== 'open') return session(current);
        try {
          return session(await client.checkout.sessions.expire(id, {}, on(account)));
        } catch (error) {
          // Paid (or expired) between the two calls: answer what it became.
          if (error instanceof StripeClient.errors.StripeInvalidRequestError) return session(await client.checkout.sessions.retrieve(id, {}, on(account)));
          throw error;
        }
      }),
    latestCharge: (id, account) =>
      call(async () => {
        const intent = await client.paymentIntents.retrieve(id, {}, on(account));
        return typeof intent.latest_charge === 'string' ? intent.latest_charge : (intent.latest_charge?.id ?? null);
      }),
    createRefund: (spec) =>
      call(async () =>
        refund(await client.refunds.create({ payment_intent: spec.paymentIntent, amount: spec.amount, metadata: spec.metadata }, { idempotencyKey: spec.idempotencyKey, ...on(spec.account) })),
      ),
    refundsOfCharge: (chargeId, account) =>
      call(async () => {
        const found: StripeRefund[] = [];
        for await (const r of client.refunds.list({ charge: chargeId, limit: 100 }, on(account))) found.push(refund(r));
        return found;
      }),
    chargesEnabled: (account) => call(async () => (account ? await client.accounts.retrieve(account) : await client.accounts.retrieveCurrent()).charges_enabled === true),
    verifyEvent(rawBody, signature, receivedAtMs) {
      let event: Stripe.Event;
      try {
        event = client.webhooks.constructEvent(rawBody, signature, config.webhookSecret, WEBHOOK_TOLERANCE_SECONDS, undefined, receivedAtMs);
      } catch (error) {
        throw new WebhookSignatureError(error instanceof Error ? error.message : String(error));
      }
      return { id: event.id, type: event.type, account: event.account ?? null, object: event.data.object as unknown as Record<string, any> };
    },
  };
}

/** STRIPE_API_URL (`http://127.0.0.1:12111`) → the client's host, port and protocol; unset: Stripe's own. */
export function endpoint(apiUrl: string | null): { host?: string; port?: number; protocol?: 'http' | 'https' } {
  if (!apiUrl) return {};
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}

function session(s: Stripe.Checkout.Session): CheckoutSession {
  return {
    id: s.id,
    url: s.url ?? null,
    status: (s.status ?? 'open') as CheckoutSession['status'],
    paymentStatus: s.payment_status as CheckoutSession['paymentStatus'],
    paymentIntent: typeof s.payment_intent === 'string' ? s.payment_intent : (s.payment_intent?.id ?? null),
    amountTotal: s.amount_total ?? null,
    currency: s.currency ? s.currency.toUpperCase() : null,
    metadata: (s.metadata ?? {}) as Record<string, string>,
    expiresAtMs: s.expires_at * 1000,
  };
}

function refund(r: Stripe.Refund): StripeRefund {
  return { id: r.id, amount: r.amount, status: r.status ?? 'pending', metadata: (r.metadata ?? {}) as Record<string, string> };
}

async function asProviderErrors<T>(errors: typeof Stripe.errors, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof errors.StripeError) {
      const definitive = error instanceof errors.StripeInvalidRequestError || error instanceof errors.StripeCardError || error instanceof errors.StripePermissionError;
      throw new PaymentProviderError(`Stripe: ${error.message}`, definitive);
    }
    throw new PaymentProviderError(`Stripe: ${error instanceof Error ? error.message : String(error)}`, false);
  }
}
