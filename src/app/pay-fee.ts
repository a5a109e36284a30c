import type { Trx } from '../db/create-db.js';
import type { FeeRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso, MINUTE_MS } from '../domain/instants.js';
import type { PaymentProvider } from '../payments/provider.js';
import { insertCheckout, returnUrls } from './checkouts.js';

/** A Checkout still this far from expiring is offered again rather than a new one. */
const REUSE_CHECKOUT_MIN_MS = 10 * MINUTE_MS;

/**
 * A client pays a fee they owe (POST /me/fees/{id}/pay), in the caller's transaction: the dev
 * provider settles it at once; with Stripe a Checkout row is committed (or a recent open one
 * reused) for the caller to open after commit, and the webhook marks the fee paid.
 */
export async function startFeePayment(trx: Trx, provider: PaymentProvider | null, owner: { practiceId: string; clientId: string }, feeId: string, settings: { publicUrl: string }, now: Date): Promise<{ fee: FeeRow; checkoutId: string | null }> {
  const fee = await trx.selectFrom('fees').selectAll().where('practice_id', '=', owner.practiceId).where('client_id', '=', owner.clientId).where('id', '=', feeId).executeTakeFirst();
  if (!fee) throw new DomainError('not_found', 'no such fee');
  if (fee.status !== 'owed') throw new DomainError('conflict', `this fee is ${fee.status}: nothing is owed`);
  if (!provider) throw new DomainError('payments_not_configured', 'this practice cannot take payments online yet; ask your practitioner');
  if (provider.name === 'dev') {
    const paid = await trx.updateTable('fees').set({ status: 'paid', resolved_at: iso(now) }).where('id', '=', fee.id).where('status', '=', 'owed').returningAll().executeTakeFirst();
    if (!paid) throw new DomainError('conflict', 'the fee changed meanwhile; try again');
    return { fee: paid, checkoutId: null };
  }
  const open = await trx
    .selectFrom('stripe_checkouts')
    .select(['id', 'expires_at'])
    .where('fee_id', '=', fee.id)
    .where('status', 'in', ['creating', 'open'])
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (open && (open.expires_at === null || Date.parse(open.expires_at) > now.getTime() + REUSE_CHECKOUT_MIN_MS)) return { fee, checkoutId: open.id };
  const practice = await trx.selectFrom('practices').selectAll().where('id', '=', owner.practiceId).executeTakeFirstOrThrow();
  const checkout = await insertCheckout(
    trx,
    {
      practice,
      clientId: owner.clientId,
      purpose: 'fee',
      subjectId: fee.id,
      amount: fee.amount,
      currency: fee.currency,
      description: `Fee (${fee.reason ?? 'cancellation policy'}) owed to ${practice.name}`,
      returnUrls: returnUrls(settings.publicUrl, practice.slug, 'fee', fee.id),
      expiresAt: null,
    },
    now,
  );
  return { fee, checkoutId: checkout.id };
}
