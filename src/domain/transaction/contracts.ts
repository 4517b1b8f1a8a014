/** Contracts of the Transaction workflow, its activities, the repository and the gateway. No runtime code. */
import type { RecoveryItemKind } from '../recovery/contracts.js';

export type TransactionStatus = 'open' | 'paid' | 'refunded';

export interface TransactionRecord {
  tenantId: string;
  ref: string;
  /** Minor units. */
  amount: number;
  currency: string;
  status: TransactionStatus;
  customerEmail: string | null;
  customerPhone: string | null;
  metadata: Record<string, string>;
  paymentLink: { id: string; url: string; productId: string | null; priceId: string | null; active: boolean } | null;
  paidPaymentIntentId: string | null;
  paidAmount: number | null;
  paidAt: string | null;
  createdAt: string;
}

export interface NewTransaction {
  tenantId: string;
  ref: string;
  amount: number;
  currency: string;
  customerEmail?: string | null;
  customerPhone?: string | null;
  metadata?: Record<string, string>;
}

export interface TransactionCheckoutSession {
  sessionId: string;
  transactionRef: string;
  seq: number;
  url: string | null;
  paymentIntentId: string | null;
  expiresAtMs: number;
}

export interface TransactionPaymentRecord {
  paymentIntentId: string;
  checkoutSessionId: string | null;
  status: 'succeeded' | 'failed';
  amount: number;
  currency: string;
  failureMessage: string | null;
  createdAt: string;
}

/** A payment event for a transaction, as the webhook router hands it to the workflow. */
export interface TransactionPaymentEvent {
  eventId: string;
  type: string;
  paymentIntentId: string;
  checkoutSessionId?: string;
  status: 'succeeded' | 'failed';
  /** Stripe's amount (amount_received for a PaymentIntent, amount_total for a session), minor units. */
  amount: number;
  currency: string;
  failureMessage?: string;
  /** The event's `account` (null: the platform account): where a refund of this payment must go. */
  stripeAccount?: string | null;
}

/**
 * settled: this payment settled the transaction. duplicate: this PaymentIntent was recorded before.
 * excess: the transaction was already settled by another payment; this one must be refunded.
 * failed: a failed attempt was recorded. unknown: no such transaction.
 */
export type TransactionPaymentOutcome = 'settled' | 'duplicate' | 'excess' | 'failed' | 'unknown';

export interface ExcessPaymentRecord {
  tenantId: string;
  paymentIntentId: string;
  itemKind: RecoveryItemKind;
  itemRef: string;
  amount: number;
  currency: string;
  reason: string;
  refundId: string | null;
  refundStatus: string;
  detectedAt: string;
}

export interface ExcessPaymentInput {
  tenantId: string;
  paymentIntentId: string;
  /**
   * The Stripe account the payment was made in, as its event said (null: the platform). The refund goes there.
   * Absent: the order's account for orders, else the tenant's connected account today.
   */
  stripeAccount?: string | null;
  item: { kind: RecoveryItemKind; ref: string };
  amount: number;
  currency: string;
  reason: string;
}
