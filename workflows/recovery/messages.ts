import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CampaignStatus, PaidVia, RecoveryCustomer, RecoveryItem, RecoveryMessageRecord } from '../../src/domain/recovery/contracts.js';
import type { Channel } from '../../src/domain/messaging/contracts.js';
import type { RecoverySchedule } from '../../src/domain/recovery/schedule.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';

export const RECOVERY_WORKFLOW_TYPE = 'recoveryWorkflow';

export interface RecoveryInput {
  tenantId: string;
  /** Business key of the unpaid item: `invoice:<id>`, `subscription_invoice:<id>`, `order:<id>`, `txn:<ref>`. */
  campaignId: string;
  item: RecoveryItem;
  /** Minor units. */
  amount: number;
  currency: string;
  customer: RecoveryCustomer;
  dueDate?: string;
  metadata?: Record<string, string>;
  /** Where Checkout sends the customer after paying. */
  successUrl: string;
  retry: RetrySchedule;
  /** Tests and callers may pin a schedule; otherwise the tenant's is loaded when the campaign starts. */
  schedule?: RecoverySchedule;
  /** State handed over by continue-as-new. */
  carried?: RecoveryCarriedState;
}

export interface RecoveryNextStep {
  /** 1-based sequence number of the step to send (the MessageKey step). */
  number: number;
  channels: Channel[];
  /** When the schedule wants it (campaign start + offset). */
  dueAtMs: number;
  /** When it will actually go: after snooze and quiet hours. */
  atMs: number;
}

export interface RecoveryState {
  tenantId: string;
  campaignId: string;
  item: RecoveryItem;
  amount: number;
  currency: string;
  customer: RecoveryCustomer;
  status: CampaignStatus;
  startedAtMs: number;
  expiresAtMs: number | null;
  schedule: RecoverySchedule | null;
  /** Offset (minutes) of the last schedule step handled; the next step is the first with a larger offset. */
  lastOffsetMinutes: number;
  /** Steps sent (at least one message attempted). */
  attempts: number;
  stepsRun: number;
  nextStep: RecoveryNextStep | null;
  snoozedUntilMs: number | null;
  paidAtMs: number | null;
  paidVia: PaidVia | null;
  recoveredAmount: number | null;
  paymentReference: string | null;
  cancelReason: string | null;
  /** Channels no longer used for this customer, and why (suppressed, permanent failure). */
  disabledChannels: Partial<Record<Channel, string>>;
  messages: RecoveryMessageRecord[];
  lastPaymentUrl: string | null;
  /** Stripe has an automatic retry of the invoice scheduled: no step before this time (its retry + 1 h). */
  waitForStripeRetryUntilMs?: number | null;
}

export type RecoveryCarriedState = Omit<RecoveryState, 'nextStep'>;

export interface PaymentReceived {
  via: PaidVia;
  /** Minor units actually paid, when known; the campaign amount otherwise. */
  amount?: number;
  reference?: string;
  paidAtMs?: number;
}

export interface SnoozeRecoveryRequest {
  untilMs: number;
}

export interface CancelRecoveryRequest {
  reason?: string;
}

export interface MarkPaidRecoveryRequest {
  amount?: number;
  reference?: string;
}

export type RecoveryWorkflow = (input: RecoveryInput) => Promise<RecoveryState>;

export const paymentReceivedSignal = defineSignal<[PaymentReceived]>('paymentReceived');
export const recoveryStateQuery = defineQuery<RecoveryState>('state');
export const pauseRecoveryUpdate = defineUpdate<RecoveryState, []>('pause');
export const resumeRecoveryUpdate = defineUpdate<RecoveryState, []>('resume');
export const snoozeRecoveryUpdate = defineUpdate<RecoveryState, [SnoozeRecoveryRequest]>('snooze');
export const cancelRecoveryUpdate = defineUpdate<RecoveryState, [CancelRecoveryRequest]>('cancel');
export const sendNowRecoveryUpdate = defineUpdate<RecoveryState, []>('sendNow');
export const markPaidRecoveryUpdate = defineUpdate<RecoveryState, [MarkPaidRecoveryRequest]>('markPaid');

/** Validator rejections carry this message prefix and a `code` the gateway turns into a 409. */
export const RECOVERY_REJECTED = 'RecoveryTransitionRejected';

export const FINAL_STATUSES: ReadonlySet<CampaignStatus> = new Set(['paid', 'cancelled', 'expired']);
