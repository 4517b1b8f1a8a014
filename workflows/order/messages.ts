import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderStatus, OrderStripeEvent, PaymentIntentSummary, RefundReason, RefundSummary } from '../../src/domain/order/contracts.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';
import type { EventLogEntry } from '../shared/event-inbox.js';

export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';

export interface OrderInput {
  tenantId: string;
  orderId: string;
  /** 'api' when started by a REST call (may create the order); 'webhook' when an event (re)opens it. */
  origin: 'api' | 'webhook';
  retry: RetrySchedule;
  /** State carried over by continue-as-new. */
  carried?: OrderState;
}

export interface CreatePaymentIntentRequest {
  amount: number;
  currency: string;
  receiptEmail?: string;
  description?: string;
  customerId?: string;
}

export interface RefundRequest {
  requestKey: string;
  /** Defaults to the whole remaining amount. */
  amount?: number;
  reason: RefundReason;
  note?: string;
  /** When given, must be the PaymentIntent that paid the order. */
  paymentIntentId?: string;
}

export type AttemptStatus = 'open' | 'requires_action' | 'processing' | 'failed' | 'canceled' | 'succeeded';

export interface OrderAttemptState {
  attempt: number;
  /** For a Checkout Session attempt whose PaymentIntent is not known yet, the `pending:<session id>` placeholder. */
  paymentIntentId: string;
  /** Set for an attempt paid through a Stripe Checkout Session (the order's recovery instrument). */
  checkout?: OrderCheckoutAttempt;
  clientSecret?: string;
  status: AttemptStatus;
  amount: number;
  currency: string;
  amountReceived?: number;
  failureMessage?: string;
}

export interface OrderCheckoutAttempt {
  sessionId: string;
  /** null when the attempt was loaded from PostgreSQL (the URL is not stored there). */
  url: string | null;
  expiresAtMs: number | null;
  /** True until a payment_intent event naming this attempt (metadata.attempt) binds its PaymentIntent. */
  awaitingPaymentIntent: boolean;
}

export type OrderRefundState = Omit<RefundSummary, 'replayed'>;

export interface OrderState {
  tenantId: string;
  orderId: string;
  known: boolean;
  customerId?: string;
  receiptEmail?: string;
  description?: string;
  amount?: number;
  currency?: string;
  status: OrderStatus;
  attempts: OrderAttemptState[];
  /** The PaymentIntent that paid the order. */
  paymentIntentId?: string;
  /** Stripe's amount_received, in minor units of `currency`. */
  capturedAmount: number;
  refunds: OrderRefundState[];
  /** charge.amount_refunded from Stripe's last charge.refunded event, for comparison. */
  stripeAmountRefunded?: number;
  seenEventIds: string[];
  eventLog: EventLogEntry[];
}

export interface OrderView {
  status: OrderStatus;
  capturedAmount: number;
  refundedAmount: number;
  remainingRefundable: number;
  paymentIntentId?: string;
  currency?: string;
}

/** The order's own way to be paid, for a recovery campaign: an open Checkout Session attempt, or settled. */
export interface OrderRecoveryCheckout {
  settled: boolean;
  url: string | null;
  checkoutSessionId: string | null;
  expiresAtMs: number | null;
}

export interface RecoveryCheckoutRequest {
  successUrl: string;
  cancelUrl: string;
}

export type OrderWorkflow = (input: OrderInput) => Promise<OrderState>;

export const createPaymentIntentUpdate = defineUpdate<PaymentIntentSummary, [CreatePaymentIntentRequest]>('createPaymentIntent');
export const confirmPaymentUpdate = defineUpdate<OrderView, []>('confirmPayment');
export const refundUpdate = defineUpdate<RefundSummary, [RefundRequest]>('refund');
export const openRecoveryCheckoutUpdate = defineUpdate<OrderRecoveryCheckout, [RecoveryCheckoutRequest]>('openRecoveryCheckout');
export const orderStripeEventSignal = defineSignal<[OrderStripeEvent]>('stripeEvent');
export const orderStateQuery = defineQuery<OrderState>('state');
