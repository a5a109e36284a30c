import type { Trx } from '../db/create-db.js';
import type { LotRow, PurchaseRow } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { iso } from '../domain/instants.js';
import { lotExpiresAt } from '../domain/lots.js';
import type { PaymentProvider } from '../payments/provider.js';
import { appendEntries, type Actor } from './ledger-writes.js';
import { notifyPurchased, scheduleExpiryWarning } from './notify.js';
import { newId } from '../lib/ids.js';
import { insertCheckout, returnUrls } from './checkouts.js';

type Owner = { practiceId: string; clientId: string };

async function activePackage(trx: Trx, practiceId: string, packageId: string) {
  const pkg = await trx.selectFrom('packages').selectAll().where('practice_id', '=', practiceId).where('id', '=', packageId).executeTakeFirst();
  if (!pkg || pkg.active !== 1) throw new DomainError('not_found', 'no such package');
  return pkg;
}

async function insertPurchase(trx: Trx, owner: Owner, packageId: string, provider: PurchaseRow['provider'], now: Date): Promise<PurchaseRow> {
  const pkg = await activePackage(trx, owner.practiceId, packageId);
  const practice = await trx.selectFrom('practices').select('currency').where('id', '=', owner.practiceId).executeTakeFirstOrThrow();
  const purchase: PurchaseRow = {
    id: newId(),
    practice_id: owner.practiceId,
    client_id: owner.clientId,
    package_id: pkg.id,
    status: 'pending',
    provider,
    amount: pkg.price_amount,
    currency: practice.currency,
    payment_ref: null,
    created_at: iso(now),
    paid_at: null,
  };
  await trx.insertInto('purchases').values(purchase).execute();
  return purchase;
}

/**
 * A confirmed payment grants exactly one lot: the purchase moves from pending to paid once
 * (conditional update), and lots.purchase_id is unique. Repeats (a webhook delivered twice)
 * answer with the lot already granted.
 */
export async function confirmPurchase(
  trx: Trx,
  purchaseId: string,
  paymentRef: string,
  actor: Actor,
  now: Date,
  options: { revive?: boolean; charge?: string | null } = {},
): Promise<LotRow> {
  // `revive`: a payment Stripe confirms for a purchase already marked failed (its Checkout expired
  // meanwhile, say) was still taken, so it still grants the lot.
  const paid = await trx
    .updateTable('purchases')
    .set({ status: 'paid', payment_ref: paymentRef, paid_at: iso(now) })
    .where('id', '=', purchaseId)
    .where('status', 'in', options.revive ? ['pending', 'failed'] : ['pending'])
    .returningAll()
    .executeTakeFirst();
  if (!paid) {
    const existing = await trx.selectFrom('lots').selectAll().where('purchase_id', '=', purchaseId).executeTakeFirst();
    if (existing) return existing;
    throw new DomainError('conflict', 'this purchase cannot be confirmed');
  }
  const pkg = await trx.selectFrom('packages').selectAll().where('id', '=', paid.package_id).executeTakeFirstOrThrow();
  const practice = await trx.selectFrom('practices').select('time_zone').where('id', '=', paid.practice_id).executeTakeFirstOrThrow();
  const lot = await grantLot(
    trx,
    { practiceId: paid.practice_id, clientId: paid.client_id },
    {
      packageId: pkg.id,
      packageName: pkg.name,
      purchaseId: paid.id,
      credits: pkg.credits,
      expiresAt: lotExpiresAt(now.getTime(), pkg.validity_days, practice.time_zone),
      serviceIds: pkg.service_ids_json === null ? null : (JSON.parse(pkg.service_ids_json) as string[]),
      reason: `purchase of ${pkg.name}`,
    },
    actor,
    now,
  );
  await notifyPurchased(trx, paid, lot, pkg.credits, now, options.charge ?? null);
  return lot;
}

export async function grantLot(
  trx: Trx,
  owner: Owner,
  lot: { packageId: string | null; packageName: string; purchaseId: string | null; credits: number; expiresAt: number | null; serviceIds: string[] | null; reason: string },
  actor: Actor,
  now: Date,
): Promise<LotRow> {
  const row: LotRow = {
    id: newId(),
    practice_id: owner.practiceId,
    client_id: owner.clientId,
    package_id: lot.packageId,
    package_name: lot.packageName,
    purchase_id: lot.purchaseId,
    service_ids_json: lot.serviceIds === null ? null : JSON.stringify(lot.serviceIds),
    expires_at: lot.expiresAt === null ? null : iso(lot.expiresAt),
    created_at: iso(now),
  };
  await trx.insertInto('lots').values(row).execute();
  await appendEntries(trx, owner, actor, [{ lot_id: row.id, kind: 'grant', amount: lot.credits, reason: lot.reason }], now);
  await scheduleExpiryWarning(trx, row, now);
  return row;
}

/**
 * A client buys a package, in the caller's transaction. The `dev` provider pays at once, so the
 * purchase is recorded and confirmed together (one lot granted). With Stripe the purchase stays
 * pending, with a Checkout row committed beside it; the caller opens the Checkout after commit
 * (openCheckout) and the webhook confirms it. A free package needs no payment and is confirmed at once.
 */
export async function purchasePackage(trx: Trx, provider: PaymentProvider | null, owner: Owner, packageId: string, now: Date, settings: { publicUrl: string }) {
  if (!provider) {
    await activePackage(trx, owner.practiceId, packageId); // an unknown package is 404 first
    throw new DomainError('payments_not_configured', 'this practice cannot take payments online yet; ask your practitioner');
  }
  const purchase = await insertPurchase(trx, owner, packageId, provider.name, now);
  if (provider.name === 'stripe' && purchase.amount > 0) {
    const practice = await trx.selectFrom('practices').selectAll().where('id', '=', owner.practiceId).executeTakeFirstOrThrow();
    const pkg = await activePackage(trx, owner.practiceId, packageId);
    const checkout = await insertCheckout(
      trx,
      {
        practice,
        clientId: owner.clientId,
        purpose: 'purchase',
        subjectId: purchase.id,
        amount: purchase.amount,
        currency: purchase.currency,
        description: `${pkg.name} (${pkg.credits === 1 ? '1 credit' : `${pkg.credits} credits`}) with ${practice.name}`,
        returnUrls: returnUrls(settings.publicUrl, practice.slug, 'purchase', purchase.id),
        expiresAt: null,
      },
      now,
    );
    return { purchase, checkoutId: checkout.id as string | null };
  }
  const paymentRef = provider.name === 'stripe' ? `free_${purchase.id}` : `${provider.name}_${purchase.id}`;
  await confirmPurchase(trx, purchase.id, paymentRef, { kind: 'system', id: null }, now);
  const paid = await trx.selectFrom('purchases').selectAll().where('id', '=', purchase.id).executeTakeFirstOrThrow();
  return { purchase: paid, checkoutId: null };
}

/** The practitioner records a package sold and paid outside Tallybook. */
export async function recordManualSale(trx: Trx, owner: Owner, packageId: string, actor: Actor, now: Date): Promise<LotRow> {
  const purchase = await insertPurchase(trx, owner, packageId, 'manual', now);
  return confirmPurchase(trx, purchase.id, `manual_${purchase.id}`, actor, now);
}
