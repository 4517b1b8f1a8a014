/** The admin API's answers, as the console reads them (the OpenAPI document at /openapi.json is the contract). */
export interface Summary {
  tenant_id: string;
  currencies: Array<{ currency: string; gross_paid: number; refunds: number; net: number; credits_outstanding: number; mrr: number }>;
  active_subscriptions: number;
  failed_payments: number;
  recoveries: Array<{ currency: string; campaigns: number; paid: number; recovery_rate: number | null; amount_chased: number; amount_recovered: number }>;
}

export interface Series {
  currencies: Array<{
    currency: string;
    days: Array<{ date: string; gross: number; refunds: number; net: number; credits_issued: number; credits_spent: number }>;
  }>;
}

export interface Funnel {
  started: number;
  messaged: number;
  paid: number;
  expired: number;
  exhausted: number;
  cancelled: number;
  open: number;
}

export interface Campaign {
  id: string;
  item_kind: string;
  item_ref: string;
  amount: number;
  currency: string;
  customer: { email: string | null; phone: string | null; id: string | null };
  status: 'active' | 'paused' | 'snoozed' | 'paid' | 'cancelled' | 'expired' | 'exhausted';
  attempts: number;
  next_step_at: string | null;
  recovered_amount: number | null;
}

export interface StuckWork {
  workflow_id: string;
  workflow_type: string;
  reason: string;
  activity: string | null;
  error: string | null;
  attempts: number | null;
  skippable: boolean;
}

export interface WebhookHealth {
  since: string;
  hours: Array<{ hour: string; outcomes: Record<string, number>; signature_failures: number }>;
  last_event_at: string | null;
  last_verified_event_at: string | null;
  signature_failures: number;
}

/** What every view gets. */
export interface ViewContext {
  tenantId: string;
  /** The workflow's page in the Temporal UI. */
  workflowUrl(workflowId: string): string;
}
