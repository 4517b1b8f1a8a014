import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SubscriptionEvent, SubscriptionStatus, SubscriptionTerms } from '../../src/domain/subscription/contracts.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';
import type { EventLogEntry } from '../shared/event-inbox.js';
import type { StatusSource } from '../../src/domain/subscription/lifecycle.js';

export const SUBSCRIPTION_WORKFLOW_TYPE = 'subscriptionWorkflow';

/** One workflow per Stripe subscription: `subscription:<tenant>:<sub id>`, driven by webhooks through signals. */
export interface SubscriptionInput {
  tenantId: string;
  subscriptionId: string;
  retry: RetrySchedule;
  /** State and unprocessed events handed over by continue-as-new. */
  carried?: { state: SubscriptionState; pending: SubscriptionEvent[] };
  /** Events per run before continuing as new (default 200); tests pass a small number. */
  continueAsNewAfterEvents?: number;
}

export interface CancelRequest {
  /** true: Stripe stops renewing at the end of the paid period; false: cancel now. */
  atPeriodEnd: boolean;
}

export type SubscriptionWorkflowStatus = SubscriptionStatus | 'pending';

/** Plan and period fields as in SubscriptionTerms (times in Unix seconds). */
export interface SubscriptionState extends SubscriptionTerms {
  tenantId: string;
  subscriptionId: string;
  /** 'pending' until the first customer.subscription.* event (or the projection) tells us more. */
  status: SubscriptionWorkflowStatus;
  /** Paid cycles and the credits they granted (in the price's currency). */
  cycles: number;
  creditsGranted: number;
  /** `created` of the newest subscription snapshot applied, so a reordered older one cannot regress state. */
  snapshotAt: number;
  /** `created` of the newest event that set the status (snapshots and invoice outcomes both do). */
  statusAt: number;
  /** What set the status at statusAt, and the status and type of the snapshot applied at snapshotAt: same-second events are ordered by them. */
  statusSource?: StatusSource | null;
  snapshotStatus?: SubscriptionWorkflowStatus;
  snapshotSource?: StatusSource | null;
  /** Best known current time (Unix seconds) from events and activities: workflow code has no clock of its own. */
  clock: number;
  /** When to ask Stripe directly (set while a cancellation at period end is due, or after an inconclusive check). */
  nextCheckAt: number | null;
  cancelRequests: number;
  planChanges: Array<{ at: number; fromPriceId: string | null; toPriceId: string | null; fromQuantity: number | null; toQuantity: number | null }>;
  paymentFailures: Array<{ invoiceId: string; at: number; attemptCount: number }>;
  /** Bounded windows: the ledger's unique key stays the exactly-once guarantee beyond them. */
  paidInvoiceIds: string[];
  openFailedInvoiceIds: string[];
  seenEventIds: string[];
  eventLog: EventLogEntry[];
  /** Runs of this workflow so far (continue-as-new count + 1) and events handled in the current run. */
  run: number;
  eventsThisRun: number;
}

export type SubscriptionWorkflow = (input: SubscriptionInput) => Promise<SubscriptionState>;

export const subscriptionEventSignal = defineSignal<[SubscriptionEvent]>('subscriptionEvent');
export const cancelSubscriptionUpdate = defineUpdate<SubscriptionState, [CancelRequest]>('cancel');
export const subscriptionStateQuery = defineQuery<SubscriptionState>('state');

export const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 200;
