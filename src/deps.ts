import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/create-db.js';
import type { MailDelivery } from './mail/delivery.js';
import type { PaymentProvider } from './payments/provider.js';

/** What the use cases' drivers (HTTP routes, the job runner) are built with; composed by buildApp. */
export interface AppDeps {
  config: Config;
  db: Db;
  clock: Clock;
  mail: MailDelivery;
  /** The provider purchases go through; null when none can take them. */
  payments: PaymentProvider | null;
}
