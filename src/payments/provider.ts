import type { PackageRow, PurchaseRow } from '../db/schema.js';

/**
 * The payment-provider port. `dev` pays at once (never in production); `manual` is a sale the
 * practitioner recorded as paid outside; `stripe` (later) answers with a Checkout URL and
 * confirms through its webhook.
 */
export interface PaymentProvider {
  readonly name: 'dev' | 'stripe';
  /** Starts paying for a pending purchase: either paid now (`paymentRef`) or a URL to send the buyer to. */
  checkout(purchase: PurchaseRow, pkg: PackageRow): Promise<{ paidNow: true; paymentRef: string } | { paidNow: false; checkoutUrl: string }>;
}

export const devProvider: PaymentProvider = {
  name: 'dev',
  checkout: async (purchase) => ({ paidNow: true, paymentRef: `dev_${purchase.id}` }),
};

/** The provider purchases go through, or null when none can take them (→ payments_not_configured). */
export function choosePaymentProvider(options: { production: boolean; stripe: PaymentProvider | null }): PaymentProvider | null {
  if (options.stripe) return options.stripe;
  return options.production ? null : devProvider;
}
