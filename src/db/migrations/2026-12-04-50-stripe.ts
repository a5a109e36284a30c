import type { Kysely } from 'kysely';

// Frozen in time. Payments through Stripe: a practice's connected account, one row per Checkout
// Session we open (for a purchase, a single session or a fee), every Stripe event acted on (its id
// unique, recorded in the transaction that acts on it), and refunds (each Stripe refund id once).

export async function up(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await s.alterTable('practices').addColumn('stripe_account_id', 'text').execute();
  await s.alterTable('purchases').addColumn('refunded_amount', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  await s
    .createTable('stripe_checkouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practices.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    // A purchase and a single session have one Checkout each; a fee one per attempt.
    .addColumn('purchase_id', 'text', (c) => c.unique().references('purchases.id'))
    .addColumn('booking_id', 'text', (c) => c.unique().references('bookings.id'))
    .addColumn('fee_id', 'text', (c) => c.references('fees.id'))
    .addColumn('amount', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('stripe_account', 'text')
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('success_url', 'text', (c) => c.notNull())
    .addColumn('cancel_url', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('session_id', 'text', (c) => c.unique())
    .addColumn('url', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('payment_intent', 'text', (c) => c.unique())
    .addColumn('charge_id', 'text')
    .addColumn('refunded_amount', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('paid_at', 'text')
    .execute();
  await s.createIndex('stripe_checkouts_fee').on('stripe_checkouts').columns(['fee_id']).execute();
  await s.createIndex('stripe_checkouts_client').on('stripe_checkouts').columns(['practice_id', 'client_id']).execute();

  await s
    .createTable('stripe_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('practice_id', 'text', (c) => c.references('practices.id'))
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practices.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('purchase_id', 'text', (c) => c.references('purchases.id'))
    .addColumn('checkout_id', 'text', (c) => c.references('stripe_checkouts.id'))
    .addColumn('amount', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('credits', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    // The provider's refund id (re_…): a refund seen twice, by its API answer and by charge.refunded, counts once.
    .addColumn('provider_ref', 'text', (c) => c.unique())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .execute();
  await s.createIndex('refunds_purchase').on('refunds').columns(['purchase_id']).execute();
  await s.createIndex('refunds_checkout').on('refunds').columns(['checkout_id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
