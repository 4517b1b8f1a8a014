import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  CheckoutSessionEvent,
  CheckoutSessionSummary,
  TopUpPaymentIntent,
  TopUpPaymentIntentEvent,
  TopUpStatus,
} from '../../src/domain/top-up/contracts.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';
import type { EventLogEntry } from '../shared/event-inbox.js';

export const TOP_UP_WORKFLOW_TYPE = 'topUpWorkflow';

export interface TopUpInput {
  tenantId: string;
  topUpId: string;
  /** Present when started by the REST call; absent when a late webhook restarts a closed top-up. */
  accountId?: string;
  retry: RetrySchedule;
}

export interface CreateCheckoutRequest {
  accountId: string;
  amount: number;
  currency: string;
  successUrl: string;
  cancelUrl: string;
}

/** An Elements top-up: a PaymentIntent instead of a Checkout Session. */
export interface CreatePaymentIntentRequest {
  accountId: string;
  amount: number;
  currency: string;
}

export interface TopUpState {
  tenantId: string;
  topUpId: string;
  accountId?: string;
  status: TopUpStatus;
  amount?: number;
  currency?: string;
  checkoutSession?: CheckoutSessionSummary;
  /** Set by createPaymentIntent (Elements top-ups); the client_secret is not kept here. */
  paymentIntentId?: string;
  creditedAmount?: number;
  /** Event ids already applied, so redeliveries change nothing. */
  seenEventIds: string[];
  eventLog: EventLogEntry[];
}

export type TopUpWorkflow = (input: TopUpInput) => Promise<TopUpState>;

export const createCheckoutSessionUpdate = defineUpdate<CheckoutSessionSummary, [CreateCheckoutRequest]>('createCheckoutSession');
export const createPaymentIntentUpdate = defineUpdate<TopUpPaymentIntent, [CreatePaymentIntentRequest]>('createPaymentIntent');
export const checkoutSessionEventSignal = defineSignal<[CheckoutSessionEvent]>('checkoutSessionEvent');
/** payment_intent.* of a PaymentIntent with our top-up metadata: succeeded credits amount_received. */
export const paymentIntentEventSignal = defineSignal<[TopUpPaymentIntentEvent]>('paymentIntentEvent');
export const topUpStateQuery = defineQuery<TopUpState>('state');
