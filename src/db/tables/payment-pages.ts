import type { UpdatedAt } from './columns.js';

export type PaymentPagesTables = {
  tenant_payment_pages: {
    tenant_id: string;
    success_url: string;
    cancel_url: string;
    updated_at: UpdatedAt;
  };
};
