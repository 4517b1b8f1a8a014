import type { CreatedAt } from './columns.js';

export type StripeCustomerTables = {
  stripe_customers: {
    tenant_id: string;
    account_id: string;
    stripe_customer_id: string;
    created_at: CreatedAt;
  };
};
