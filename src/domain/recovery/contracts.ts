/** Contracts of the Recovery workflow, its activities, the repository and the gateway. No runtime code. */
import type { Channel, SendOutcome } from '../messaging/contracts.js';

export type RecoveryItemKind = 'invoice' | 'subscription_invoice' | 'order' | 'transaction';

export type CampaignStatus = 'active' | 'paused' | 'snoozed' | 'paid' | 'cancelled' | 'expired' | 'exhausted';

/** Where the news of a payment came from. */
export type PaidVia = 'webhook' | 'invoice' | 'subscription' | 'order' | 'manual' | 'detected';

export interface RecoveryCustomer {
  email?: string | null;
  phone?: string | null;
  /** IANA zone for quiet hours; UTC when unknown. */
  timeZone?: string | null;
  /** Our client / customer id, for the CustomerId search attribute and reporting. */
  id?: string | null;
  name?: string | null;
}

export interface RecoveryItem {
  kind: RecoveryItemKind;
  /** The invoice id, order id, or the caller's transaction reference. */
  ref: string;
}

/** One send attempt on one channel, as the workflow saw it. */
export interface RecoveryMessageRecord {
  step: number;
  channel: Channel;
  atMs: number;
  outcome: SendOutcome;
  /** The step was sent on this channel because the scheduled one could not be used. */
  fallbackFor?: Channel;
}

/** What the campaign row is written from (insert on first record, then updates). */
export interface CampaignSnapshot {
  tenantId: string;
  campaignId: string;
  status: CampaignStatus;
  attempts: number;
  nextStepAtMs: number | null;
  paidAtMs: number | null;
  paidVia: PaidVia | null;
  recoveredAmount: number | null;
  messages: RecoveryMessageRecord[];
}

export interface NewCampaignRecord {
  tenantId: string;
  campaignId: string;
  item: RecoveryItem;
  amount: number;
  currency: string;
  customer: RecoveryCustomer;
  metadata: Record<string, string>;
}

export type PaymentInstrumentSource =
  | 'hosted_invoice_page'
  | 'invoice_payment_link'
  | 'transaction_payment_link'
  | 'order_checkout'
  /** Only in histories recorded before campaigns sent each item's own instrument. */
  | 'checkout_session';

/** The item's own way to be paid, as a campaign step sends it. */
export interface PaymentLinkResult {
  /** null when the item has no payable page yet (a Stripe invoice still in draft). */
  url: string | null;
  source: PaymentInstrumentSource;
  id: string;
  expiresAtMs: number | null;
  /** The item needs no payment any more (paid or voided elsewhere): nothing is sent. */
  settled?: boolean;
  /** Stripe's next automatic collection attempt of the invoice (epoch ms), if one is scheduled. */
  nextPaymentAttemptMs?: number | null;
  /** The activity's clock (epoch ms). */
  nowMs?: number;
}
