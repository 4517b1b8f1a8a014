import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_subscriptions.js';
import * as m0003 from './0003_orders.js';
import * as m0004 from './0004_connect.js';
import * as m0005 from './0005_invoices.js';
import * as m0006 from './0006_financial_summary.js';
import * as m0007 from './0007_messaging.js';
import * as m0008 from './0008_recoveries.js';
import * as m0009 from './0009_client_phone.js';
import * as m0010 from './0010_transactions.js';
import * as m0011 from './0011_message_handoff.js';
import * as m0012 from './0012_payment_pages.js';
import * as m0013 from './0013_order_stripe_account.js';
import * as m0014 from './0014_idempotency_keys.js';
import * as m0015 from './0015_subscription_status_at.js';
import * as m0016 from './0016_ledger_moves_balance.js';
import * as m0017 from './0017_client_user.js';
import * as m0018 from './0018_stripe_event_cursors.js';
import * as m0019 from './0019_tenant_frontends.js';
import * as m0020 from './0020_read_path_indexes.js';

/** Every migration, in order. Listed statically so the same code runs under tsx, vitest and a bundler. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_subscriptions': m0002,
  '0003_orders': m0003,
  '0004_connect': m0004,
  '0005_invoices': m0005,
  '0006_financial_summary': m0006,
  '0007_messaging': m0007,
  '0008_recoveries': m0008,
  '0009_client_phone': m0009,
  '0010_transactions': m0010,
  '0011_message_handoff': m0011,
  '0012_payment_pages': m0012,
  '0013_order_stripe_account': m0013,
  '0014_idempotency_keys': m0014,
  '0015_subscription_status_at': m0015,
  '0016_ledger_moves_balance': m0016,
  '0017_client_user': m0017,
  '0018_stripe_event_cursors': m0018,
  '0019_tenant_frontends': m0019,
  '0020_read_path_indexes': m0020,
};
