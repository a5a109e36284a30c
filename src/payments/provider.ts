import type { DevTools } from '../config.js';
import type { StripeGateway } from './stripe.js';

/**
 * The payment-provider port. `dev` pays at once (only with dev tools on: see Config.devTools);
 * `stripe` answers with a Checkout URL and confirms through its signed webhook. (`manual` is not a
 * provider: it is a sale the practitioner recorded as paid outside.)
 */
export type PaymentProvider = DevProvider | StripeProvider;

export interface DevProvider {
  readonly name: 'dev';
  /** Settles within the purchase's own transaction, with no call out. */
  readonly paysAtOnce: true;
}

export interface StripeProvider {
  readonly name: 'stripe';
  /** A Checkout page is opened after commit; the webhook confirms the payment later. */
  readonly paysAtOnce: false;
  readonly gateway: StripeGateway;
}

export const devProvider: DevProvider = { name: 'dev', paysAtOnce: true };

export function stripeProvider(gateway: StripeGateway): StripeProvider {
  return { name: 'stripe', paysAtOnce: false, gateway };
}

/** The provider purchases go through, or null when none can take them (→ payments_not_configured). Stripe wins whenever configured. */
export function choosePaymentProvider(options: { devTools: DevTools; stripe: PaymentProvider | null }): PaymentProvider | null {
  if (options.stripe) return options.stripe;
  return options.devTools !== false ? devProvider : null;
}
