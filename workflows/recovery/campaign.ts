import { Attention } from '../shared/attention.js';
import { ApplicationFailure, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RecoveryActivities } from '../../activities/recovery.js';
import type { CampaignStatus } from '../../src/domain/recovery/contracts.js';
import type { Channel, SendOutcome } from '../../src/domain/messaging/contracts.js';
import { activityOptions, rejectedInput } from '../activity-options.js';
import { safeTimeZone } from '../../src/domain/recovery/time.js';
import { CampaignStatusKey, CustomerIdKey, NextStepAtKey, TenantIdKey } from '../../src/domain/search-attributes.js';
import { FINAL_STATUSES, RECOVERY_REJECTED, type PaymentReceived, type RecoveryInput, type RecoveryState } from './messages.js';
import { LEAN_ACTIONS_PATCH, REJECTED_INPUT_PATCH } from './patches.js';
import type { RecoverySchedule } from '../../src/domain/recovery/schedule.js';
import { searchAttributeWriter } from '../shared/search-attributes.js';
import { campaignSnapshot, initialRecoveryState, isFinal, paymentFields, recordMessage, type TransitionRefusal } from './rules.js';

/** Throws a validator's refusal: the gateway turns its `code` into a 409. */
export function reject(refusal: TransitionRefusal | undefined): void {
  if (refusal) throw ApplicationFailure.create({ type: RECOVERY_REJECTED, message: refusal.message, details: [{ code: refusal.code }], nonRetryable: true });
}

/**
 * One run of a recovery campaign: its state, the workflow's notion of now, and the writes to PostgreSQL. Steps are
 * sent by steps.ts; the workflow function wires handlers and runs the main loop.
 */
export class Campaign {
  readonly state: RecoveryState;
  readonly acts: RecoveryActivities;
  readonly timeZone: string;
  /** Lower bound of "now": the run's start, timers that fired, activity results. Workflow code never reads the clock. */
  clock: number;
  /** Bumped by every operator action or payment, so the main loop re-plans. */
  changes = 0;
  sendNowRequested = false;
  /** One markCampaign at a time, each writing the newest state. */
  persistChain: Promise<void> = Promise.resolve();
  private persistedKey = '';
  /** Runs started after LEAN_ACTIONS_PATCH: fewer billed commands (see patches.ts). */
  readonly lean: boolean;
  private readonly upsert: ReturnType<typeof searchAttributeWriter>;
  /** The tenant's schedule as the last sendStep read it (lean runs), for planning the next step. */
  freshSchedule: RecoverySchedule | undefined;

  constructor(readonly input: RecoveryInput) {
    // Switching a link off after the campaign is a courtesy: an operator may skip it when Stripe keeps refusing.
    this.acts = new Attention(new Set(['releasePaymentInstrument'])).wrap(proxyActivities<RecoveryActivities>(activityOptions(input.retry)));
    this.state = initialRecoveryState(input, workflowInfo().startTime.getTime());
    this.timeZone = safeTimeZone(this.state.customer.timeZone);
    this.clock = Math.max(workflowInfo().runStartTime.getTime(), this.state.startedAtMs);
    this.lean = patched(LEAN_ACTIONS_PATCH);
    this.upsert = searchAttributeWriter(this.lean);
  }

  /** The schedule sendStep read for the step just run, once; undefined when there is none (then loadSchedule). */
  takeFreshSchedule(): RecoverySchedule | undefined {
    const schedule = this.freshSchedule;
    this.freshSchedule = undefined;
    return schedule;
  }

  advance(ms: number): void {
    this.clock = Math.max(this.clock, ms);
  }

  isFinal(): boolean {
    return isFinal(this.state.status);
  }

  persist(): Promise<void> {
    this.persistChain = this.persistChain.then(async () => {
      const current = campaignSnapshot(this.state);
      const key = JSON.stringify(current);
      if (key === this.persistedKey) return;
      const result = await this.acts.markCampaign(current);
      this.persistedKey = key;
      this.advance(result.nowMs);
    });
    return this.persistChain;
  }

  setSearchAttributes(): void {
    const { state } = this;
    this.upsert([
      { key: TenantIdKey, value: state.tenantId },
      { key: CampaignStatusKey, value: state.status },
      // Stored unencrypted: an id only, never an email a caller may have used as its customer id (cleared if set).
      ...(state.customer.id ? [{ key: CustomerIdKey, value: state.customer.id.includes('@') ? null : state.customer.id }] : []),
      { key: NextStepAtKey, value: state.nextStep ? new Date(state.nextStep.atMs) : null },
    ]);
  }

  setStatus(status: CampaignStatus): void {
    this.state.status = status;
    if (FINAL_STATUSES.has(status)) this.state.nextStep = null;
    this.setSearchAttributes();
  }

  recordPayment(payment: PaymentReceived): void {
    if (this.isFinal()) return;
    Object.assign(this.state, paymentFields(payment, this.state.amount, this.clock));
    this.state.snoozedUntilMs = null;
    this.setStatus('paid');
    this.changes++;
  }

  /** What every operator status change does: set it, wake the main loop to re-plan, and save the row. */
  async operatorSetStatus(status: CampaignStatus, snoozedUntilMs: number | null = null): Promise<RecoveryState> {
    this.state.snoozedUntilMs = snoozedUntilMs;
    this.setStatus(status);
    this.changes++;
    await this.persist();
    return this.state;
  }

  recordMessage(step: number, channel: Channel, outcome: SendOutcome, fallbackFor?: Channel): void {
    recordMessage(this.state, { step, channel, atMs: this.clock, outcome, ...(fallbackFor ? { fallbackFor } : {}) });
  }

  /** The campaign cannot start with this input: it ends cancelled, saying why, instead of failing or retrying. */
  rejectedAtStart(error: unknown): void {
    const rejected = rejectedInput(error);
    if (rejected === undefined || !patched(REJECTED_INPUT_PATCH)) throw error;
    log.warn('recovery campaign input rejected', { campaignId: this.state.campaignId, rejected });
    this.state.cancelReason = `invalid input: ${rejected}`;
    this.setStatus('cancelled');
  }
}
