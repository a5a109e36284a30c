import type { DevTools } from '../config.js';


/**
 * The payment-provider port. `dev` pays at once (only with dev tools on: see Config.devTools); `manual` is a sale the
 * practitioner recorded as paid outside; `stripe` (later) answers with a Checkout URL and
 * confirms through its webhook.
 */
export interface PaymentProvider {
  readonly name: 'dev' | 'stripe';
  /**
   * Settles within the purchase's own transaction, with no call out (dev). A provider with a
   * checkout page creates it after commit and is confirmed later by its webhook.
   */
  readonly paysAtOnce: boolean;
}

export const devProvider: PaymentProvider = { name: 'dev', paysAtOnce: true };

/** The provider purchases go through, or null when none can take them (→ payments_not_configured). */
export function choosePaymentProvider(options: { devTools: DevTools; stripe: PaymentProvider | null }): PaymentProvider | null {
  if (options.stripe) return options.stripe;
  return options.devTools !== false ? devProvider : null;
}
