import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { CatalogTables } from './tables/catalog.js';
import type { ClientTables } from './tables/clients.js';
import type { ConnectTables } from './tables/connect.js';
import type { CreditBalancesTable, CreditLedgerTable, TopUpsTable } from './tables/credits.js';
import type { ExcessPaymentTables } from './tables/excess-payments.js';
import type { IdempotencyKeyTables } from './tables/idempotency-keys.js';
import type { InvoiceTables } from './tables/invoices.js';
import type { MessagingTables } from './tables/messages.js';
import type { OrderTables } from './tables/orders.js';
import type { PaymentPagesTables } from './tables/payment-pages.js';
import type { RecoveryTables } from './tables/recoveries.js';
import type { StripeCustomerTables } from './tables/stripe-customers.js';
import type { StripeEventCursorTables } from './tables/stripe-event-cursors.js';
import type { SubscriptionTables } from './tables/subscriptions.js';
import type { SuppressionTables } from './tables/suppressions.js';
import type { ApiKeysTable, TenantsTable } from './tables/tenants.js';
import type { TransactionTables } from './tables/transactions.js';

export type { TopUpStatus } from '../domain/top-up/contracts.js';
export type * from './tables/catalog.js';
export type * from './tables/clients.js';
export type * from './tables/columns.js';
export type * from './tables/connect.js';
export type * from './tables/credits.js';
export type * from './tables/excess-payments.js';
export type * from './tables/idempotency-keys.js';
export type * from './tables/invoices.js';
export type * from './tables/messages.js';
export type * from './tables/orders.js';
export type * from './tables/payment-pages.js';
export type * from './tables/recoveries.js';
export type * from './tables/stripe-customers.js';
export type * from './tables/stripe-event-cursors.js';
export type * from './tables/subscriptions.js';
export type * from './tables/suppressions.js';
export type * from './tables/tenants.js';
export type * from './tables/transactions.js';

/** Every table the migrations create, by name; the row types live in ./tables/, one file per domain. */
export interface Database
  extends CatalogTables,
    ClientTables,
    ConnectTables,
    ExcessPaymentTables,
    IdempotencyKeyTables,
    InvoiceTables,
    MessagingTables,
    OrderTables,
    PaymentPagesTables,
    RecoveryTables,
    StripeCustomerTables,
    StripeEventCursorTables,
    SubscriptionTables,
    SuppressionTables,
    TransactionTables {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  top_ups: TopUpsTable;
  credit_balances: CreditBalancesTable;
  credit_ledger: CreditLedgerTable;
}

/**
 * What a repository runs its statements on: the pool, or a transaction its caller opened so that several steps
 * commit together. Every repository function takes one as its first parameter; the caller owns the transaction
 * (a repository unit that must be atomic joins it, or runs alone without one: see atomic.ts).
 */
export type DbExecutor = Kysely<Database> | Transaction<Database>;

export type LedgerRow = Selectable<CreditLedgerTable>;
export type NewTopUp = Insertable<TopUpsTable>;
