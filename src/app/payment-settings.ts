import type { Db } from '../db/create-db.js';
import type { PaymentProvider } from '../payments/provider.js';

export interface PaymentSettings {
  /** `manual`: no provider takes payments online; sales are recorded by hand. */
  provider: 'stripe' | 'dev' | 'manual';
  stripeAccountId: string | null;
  /** Whether the account can take charges now; null when Stripe could not be asked. */
  chargesEnabled: boolean | null;
}

/** How the practice is paid (GET /practice/payments); asks Stripe whether its account can take charges. */
export async function paymentSettings(db: Db, provider: PaymentProvider | null, practiceId: string): Promise<PaymentSettings> {
  const practice = await db.kysely.selectFrom('practices').select('stripe_account_id').where('id', '=', practiceId).executeTakeFirstOrThrow();
  const stripeAccountId = practice.stripe_account_id ?? null;
  if (!provider) return { provider: 'manual', stripeAccountId, chargesEnabled: false };
  if (provider.name === 'dev') return { provider: 'dev', stripeAccountId, chargesEnabled: true };
  const chargesEnabled = await provider.gateway.chargesEnabled(stripeAccountId).catch(() => null);
  return { provider: 'stripe', stripeAccountId, chargesEnabled };
}
