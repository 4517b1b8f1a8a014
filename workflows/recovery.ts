import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RecoveryActivities } from '../activities/recovery.js';
import type {
  CampaignSnapshot,
  CampaignStatus,
  PaidVia,
  RecoveryCustomer,
  RecoveryItem,
  RecoveryMessageRecord,
} from '../activities/recovery-types.js';
import type { Channel, SendOutcome } from '../src/messaging/types.js';
import type { RecoverySchedule } from '../src/recoveries/schedule.js';
import { activityOptions, rejectedInput, type RetrySchedule } from './activity-options.js';
import { nextAllowedSendTime, safeTimeZone } from './recovery-time.js';
import { CampaignStatusKey, CustomerIdKey, NextStepAtKey, TenantIdKey } from './search-attributes.js';

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
  carried?: CarriedState;
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

type CarriedState = Omit<RecoveryState, 'nextStep'>;

export interface PaymentReceived {
  via: PaidVia;
  /** Minor units actually paid, when known; the campaign amount otherwise. */
  amount?: number;
  reference?: string;
  paidAtMs?: number;
}

export const paymentReceivedSignal = defineSignal<[PaymentReceived]>('paymentReceived');
export const recoveryStateQuery = defineQuery<RecoveryState>('state');
export const pauseRecoveryUpdate = defineUpdate<RecoveryState, []>('pause');
export const resumeRecoveryUpdate = defineUpdate<RecoveryState, []>('resume');
export const snoozeRecoveryUpdate = defineUpdate<RecoveryState, [{ untilMs: number }]>('snooze');
export const cancelRecoveryUpdate = defineUpdate<RecoveryState, [{ reason?: string }]>('cancel');
export const sendNowRecoveryUpdate = defineUpdate<RecoveryState, []>('sendNow');
export const markPaidRecoveryUpdate = defineUpdate<RecoveryState, [{ amount?: number; reference?: string }]>('markPaid');

/**
 * Version 2 re-reads the tenant's schedule before planning each step, so schedule changes (PUT
 * /v1/admin/recovery-schedule) reach campaigns already running. Campaigns whose history predates it keep the
 * schedule they started with; test/histories/recovery-*.json were recorded before it and must still replay.
 */
export const SCHEDULE_REFRESH_PATCH = 'recovery-schedule-refresh-v2';

/**
 * Version 3 sends each item's own instrument (getPaymentLink may answer `settled`, or name Stripe's next automatic
 * retry) and releases a transaction's link when the campaign ends unpaid. Older histories took neither branch.
 */
export const ITEM_INSTRUMENT_PATCH = 'recovery-item-instrument-v3';

/**
 * A campaign whose recordCampaign or loadSchedule is refused for good (a non-retryable failure: metadata PostgreSQL
 * cannot store, say) ends cancelled with cancelReason `invalid input: <type>: <message>`; before, the workflow failed.
 */
export const REJECTED_INPUT_PATCH = 'recovery-rejected-input';

/** A step due in the day before Stripe's own retry of the invoice waits until an hour after it. */
const STRIPE_RETRY_LOOKAHEAD_MS = 24 * 60 * 60 * 1000;
const STRIPE_RETRY_GRACE_MS = 60 * 60 * 1000;

/** Validator rejections carry this message prefix and a `code` the gateway turns into a 409. */
export const RECOVERY_REJECTED = 'RecoveryTransitionRejected';

const MESSAGES_LIMIT = 200;
const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60_000;

export const FINAL_STATUSES: ReadonlySet<CampaignStatus> = new Set(['paid', 'cancelled', 'expired']);

function reject(code: string, message: string): never {
  throw ApplicationFailure.create({ type: RECOVERY_REJECTED, message, details: [{ code }], nonRetryable: true });
}

export async function recoveryWorkflow(input: RecoveryInput): Promise<RecoveryState> {
  const acts = proxyActivities<RecoveryActivities>(activityOptions(input.retry));
  const carried = input.carried;
  const state: RecoveryState = {
    tenantId: input.tenantId,
    campaignId: input.campaignId,
    item: input.item,
    amount: input.amount,
    currency: input.currency,
    customer: input.customer,
    status: 'active',
    startedAtMs: workflowInfo().startTime.getTime(),
    expiresAtMs: null,
    schedule: input.schedule ?? null,
    lastOffsetMinutes: -1,
    attempts: 0,
    stepsRun: 0,
    snoozedUntilMs: null,
    paidAtMs: null,
    paidVia: null,
    recoveredAmount: null,
    paymentReference: null,
    cancelReason: null,
    disabledChannels: {},
    messages: [],
    lastPaymentUrl: null,
    ...carried,
    nextStep: null,
  };
  const timeZone = safeTimeZone(state.customer.timeZone);
  /** Lower bound of "now": the run's start, timers that fired, activity results. Workflow code never reads the clock. */
  let clock = Math.max(workflowInfo().runStartTime.getTime(), state.startedAtMs);
  const advance = (ms: number) => {
    clock = Math.max(clock, ms);
  };
  /** Bumped by every operator action or payment, so the main loop re-plans. */
  let changes = 0;
  let sendNowRequested = false;

  const isFinal = () => FINAL_STATUSES.has(state.status);

  // ---- Persistence: one markCampaign at a time, each writing the newest state ----------------------------------
  let persistChain: Promise<void> = Promise.resolve();
  let persistedKey = '';
  function snapshot(): CampaignSnapshot {
    return {
      tenantId: state.tenantId,
      campaignId: state.campaignId,
      status: state.status,
      attempts: state.attempts,
      nextStepAtMs: state.nextStep?.atMs ?? null,
      paidAtMs: state.paidAtMs,
      paidVia: state.paidVia,
      recoveredAmount: state.recoveredAmount,
      messages: state.messages,
    };
  }
  function persist(): Promise<void> {
    persistChain = persistChain.then(async () => {
      const current = snapshot();
      const key = JSON.stringify(current);
      if (key === persistedKey) return;
      const result = await acts.markCampaign(current);
      persistedKey = key;
      advance(result.nowMs);
    });
    return persistChain;
  }

  function setSearchAttributes(): void {
    upsertSearchAttributes([
      { key: TenantIdKey, value: state.tenantId },
      { key: CampaignStatusKey, value: state.status },
      // Stored unencrypted: an id only, never an email a caller may have used as its customer id (cleared if set).
      ...(state.customer.id ? [{ key: CustomerIdKey, value: state.customer.id.includes('@') ? null : state.customer.id }] : []),
      { key: NextStepAtKey, value: state.nextStep ? new Date(state.nextStep.atMs) : null },
    ]);
  }

  function setStatus(status: CampaignStatus): void {
    state.status = status;
    if (FINAL_STATUSES.has(status)) state.nextStep = null;
    setSearchAttributes();
  }

  function recordPayment(payment: PaymentReceived): void {
    if (isFinal()) return;
    state.paidAtMs = payment.paidAtMs ?? clock;
    state.paidVia = payment.via;
    // 'detected' = the messaging layer found the item settled (paid elsewhere, or voided): no amount is claimed.
    state.recoveredAmount = payment.via === 'detected' ? (payment.amount ?? null) : (payment.amount ?? state.amount);
    state.paymentReference = payment.reference ?? null;
    state.snoozedUntilMs = null;
    setStatus('paid');
    changes++;
  }

  // ---- Handlers ----------------------------------------------------------------------------------------------
  setHandler(recoveryStateQuery, () => state);

  setHandler(paymentReceivedSignal, async (payment) => {
    if (isFinal()) return;
    recordPayment(payment);
    await persist();
  });

  const operable = (action: string) => {
    if (state.status === 'paid') reject('campaign_paid', `cannot ${action}: the campaign is paid`);
    if (state.status === 'cancelled') reject('campaign_cancelled', `cannot ${action}: the campaign is cancelled`);
    if (state.status === 'expired') reject('campaign_expired', `cannot ${action}: the campaign expired`);
    if (state.status === 'exhausted') reject('campaign_exhausted', `cannot ${action}: the campaign used all its attempts`);
  };

  /** What every operator status change does: set it, wake the main loop to re-plan, and save the row. */
  async function operatorSetStatus(status: CampaignStatus, snoozedUntilMs: number | null = null): Promise<RecoveryState> {
    state.snoozedUntilMs = snoozedUntilMs;
    setStatus(status);
    changes++;
    await persist();
    return state;
  }

  setHandler(
    pauseRecoveryUpdate,
    () => operatorSetStatus('paused'),
    {
      validator: () => {
        operable('pause');
        if (state.status === 'paused') reject('campaign_paused', 'the campaign is already paused');
      },
    },
  );

  setHandler(
    resumeRecoveryUpdate,
    () => operatorSetStatus('active'),
    {
      validator: () => {
        operable('resume');
        if (state.status === 'active') reject('campaign_active', 'the campaign is not paused or snoozed');
      },
    },
  );

  setHandler(
    snoozeRecoveryUpdate,
    ({ untilMs }) => operatorSetStatus('snoozed', untilMs),
    {
      validator: ({ untilMs }) => {
        operable('snooze');
        if (!Number.isFinite(untilMs) || untilMs <= clock) reject('snooze_in_past', 'snooze until must be in the future');
        if (state.expiresAtMs !== null && untilMs >= state.expiresAtMs) reject('snooze_after_expiry', 'snooze until must be before the campaign expires');
      },
    },
  );

  setHandler(
    cancelRecoveryUpdate,
    async ({ reason }) => {
      state.cancelReason = reason ?? null;
      return operatorSetStatus('cancelled');
    },
    {
      validator: (_request) => {
        if (state.status === 'paid') reject('campaign_paid', 'cannot cancel: the campaign is paid');
        if (state.status === 'cancelled') reject('campaign_cancelled', 'the campaign is already cancelled');
        if (state.status === 'expired') reject('campaign_expired', 'cannot cancel: the campaign expired');
      },
    },
  );

  setHandler(
    sendNowRecoveryUpdate,
    async () => {
      sendNowRequested = true;
      changes++;
      await condition(() => !sendNowRequested || isFinal());
      return state;
    },
    {
      validator: () => {
        operable('send now');
        if (state.schedule && !nextScheduleStep()) reject('no_step_left', 'every step of the schedule was already sent');
        if (sendNowRequested) reject('send_pending', 'a send-now is already in progress');
      },
    },
  );

  setHandler(
    markPaidRecoveryUpdate,
    async ({ amount, reference }) => {
      recordPayment({ via: 'manual', amount, reference });
      await persist();
      return state;
    },
    {
      validator: ({ amount }) => {
        if (state.status === 'paid') reject('campaign_paid', 'the campaign is already paid');
        if (state.status === 'cancelled') reject('campaign_cancelled', 'cannot mark paid: the campaign is cancelled');
        if (state.status === 'expired') reject('campaign_expired', 'cannot mark paid: the campaign expired');
        if (amount !== undefined && (!Number.isSafeInteger(amount) || amount <= 0)) reject('invalid_amount', 'amount must be a positive integer');
      },
    },
  );

  // ---- Planning ----------------------------------------------------------------------------------------------
  const dueOf = (offsetMinutes: number) => state.startedAtMs + offsetMinutes * MINUTE_MS;

  function nextScheduleStep(): { index: number; offsetMinutes: number; channels: Channel[] } | undefined {
    const steps = state.schedule?.steps ?? [];
    const index = steps.findIndex((step) => step.offsetMinutes > state.lastOffsetMinutes);
    return index < 0 ? undefined : { index, offsetMinutes: steps[index]!.offsetMinutes, channels: [...steps[index]!.channels] };
  }

  /** Steps whose time has come while the campaign was paused or snoozed collapse into one (channels merged). */
  function collapseOverdue(first: { index: number; offsetMinutes: number; channels: Channel[] }) {
    const steps = state.schedule!.steps;
    let { index, offsetMinutes } = first;
    const channels = new Set(first.channels);
    while (index + 1 < steps.length && dueOf(steps[index + 1]!.offsetMinutes) <= clock) {
      index++;
      offsetMinutes = steps[index]!.offsetMinutes;
      for (const channel of steps[index]!.channels) channels.add(channel);
    }
    return { offsetMinutes, channels: (['email', 'sms'] as const).filter((channel) => channels.has(channel)) };
  }

  function plan(): RecoveryNextStep | null {
    const step = nextScheduleStep();
    if (!step || state.status === 'exhausted') return null;
    const dueAtMs = dueOf(step.offsetMinutes);
    const notBefore = Math.max(
      dueAtMs,
      clock,
      state.status === 'snoozed' && state.snoozedUntilMs !== null ? state.snoozedUntilMs : 0,
      state.waitForStripeRetryUntilMs ?? 0,
    );
    const atMs = nextAllowedSendTime(notBefore, timeZone, state.schedule!.quietHours);
    if (state.expiresAtMs !== null && atMs >= state.expiresAtMs) return null;
    return { number: state.stepsRun + 1, channels: step.channels, dueAtMs, atMs };
  }

  // ---- Sending -----------------------------------------------------------------------------------------------
  const usable = (channel: Channel): boolean =>
    !state.disabledChannels[channel] && Boolean(channel === 'email' ? state.customer.email : state.customer.phone);
  const other = (channel: Channel): Channel => (channel === 'email' ? 'sms' : 'email');

  /** Scheduled channels, with an unusable one replaced by the other channel (no phone → email only). */
  function resolveChannels(wanted: Channel[]): Array<{ channel: Channel; fallbackFor?: Channel }> {
    const chosen: Array<{ channel: Channel; fallbackFor?: Channel }> = [];
    for (const channel of wanted) {
      if (usable(channel)) {
        if (!chosen.some((c) => c.channel === channel)) chosen.push({ channel });
      } else if (usable(other(channel)) && !wanted.includes(other(channel)) && !chosen.some((c) => c.channel === other(channel))) {
        chosen.push({ channel: other(channel), fallbackFor: channel });
      }
    }
    return chosen;
  }

  function record(step: number, channel: Channel, outcome: SendOutcome, fallbackFor?: Channel): void {
    state.messages.push({ step, channel, atMs: clock, outcome, ...(fallbackFor ? { fallbackFor } : {}) });
    if (state.messages.length > MESSAGES_LIMIT) state.messages.shift();
  }

  const attempted = (outcome: SendOutcome) =>
    outcome.status === 'sent' || outcome.status === 'failed' || (outcome.status === 'skipped' && (outcome.reason === 'already_sent' || outcome.reason === 'possibly_sent'));

  async function sendOn(step: number, targets: Array<{ channel: Channel; fallbackFor?: Channel }>, paymentUrl: string): Promise<SendOutcome[]> {
    const result = await acts.sendStep({
      tenantId: state.tenantId,
      campaignId: state.campaignId,
      step,
      channels: targets.map((t) => t.channel),
      recipient: { email: state.customer.email, phone: state.customer.phone, name: state.customer.name, timeZone: state.customer.timeZone },
      amount: state.amount,
      currency: state.currency,
      ...(input.dueDate ? { dueDate: input.dueDate } : {}),
      paymentUrl,
    });
    advance(result.nowMs);
    const outcomes: SendOutcome[] = [];
    for (const { channel, outcome } of result.outcomes) {
      record(step, channel, outcome, targets.find((t) => t.channel === channel)?.fallbackFor);
      outcomes.push(outcome);
      if (outcome.status === 'skipped' && outcome.reason === 'suppressed') state.disabledChannels[channel] = 'suppressed';
      if (outcome.status === 'failed' && outcome.permanent) state.disabledChannels[channel] = `failed permanently: ${outcome.error}`;
      if (outcome.status === 'skipped' && outcome.reason === 'item_paid') recordPayment({ via: 'detected' });
    }
    return outcomes;
  }

  async function runStep(immediate: boolean): Promise<void> {
    const next = nextScheduleStep();
    if (!next) return;
    const { offsetMinutes, channels } = immediate ? next : collapseOverdue(next);
    const step = state.stepsRun + 1;
    const previousOffset = state.lastOffsetMinutes;
    state.lastOffsetMinutes = offsetMinutes;
    state.nextStep = null;
    const targets = resolveChannels(channels);
    if (targets.length === 0) {
      for (const channel of channels) record(step, channel, { status: 'skipped', reason: state.disabledChannels[channel] ? 'suppressed' : 'channel_unavailable' });
      state.stepsRun = step;
      return;
    }
    const link = await acts.getPaymentLink({
      tenantId: state.tenantId,
      campaignId: state.campaignId,
      step,
      item: state.item,
      amount: state.amount,
      currency: state.currency,
      customerEmail: state.customer.email,
      successUrl: input.successUrl,
      retry: input.retry,
    });
    if (patched(ITEM_INSTRUMENT_PATCH)) {
      if (isFinal()) return;
      if (link.nowMs !== undefined) advance(link.nowMs);
      if (link.settled) {
        recordPayment({ via: 'detected' });
        return;
      }
      const retryAt = link.nextPaymentAttemptMs ?? null;
      if (!immediate && retryAt !== null && clock >= retryAt - STRIPE_RETRY_LOOKAHEAD_MS && clock < retryAt + STRIPE_RETRY_GRACE_MS) {
        // Stripe retries the invoice itself soon: if that succeeds, the customer hears nothing from us.
        state.lastOffsetMinutes = previousOffset;
        state.waitForStripeRetryUntilMs = retryAt + STRIPE_RETRY_GRACE_MS;
        return;
      }
      state.waitForStripeRetryUntilMs = null;
      if (link.url === null) {
        for (const target of targets) record(step, target.channel, { status: 'skipped', reason: 'no_payment_page' }, target.fallbackFor);
        state.stepsRun = step;
        return;
      }
    }
    const paymentUrl = link.url ?? '';
    state.lastPaymentUrl = paymentUrl;
    // A payment or cancel that arrived while the link was being made: nothing goes out.
    if (isFinal()) return;
    const outcomes = await sendOn(step, targets, paymentUrl);
    // A channel that just turned out unusable (opted out, permanently failing): this step goes out on the other one.
    const retry = targets
      .filter((t, i) => state.disabledChannels[t.channel] && outcomes[i] && outcomes[i]!.status !== 'sent')
      .map((t) => ({ channel: other(t.channel), fallbackFor: t.channel }))
      .filter((t) => usable(t.channel) && !targets.some((sent) => sent.channel === t.channel));
    const allOutcomes = [...outcomes];
    if (retry.length > 0 && !isFinal()) allOutcomes.push(...(await sendOn(step, retry, paymentUrl)));
    state.stepsRun = step;
    if (allOutcomes.some(attempted)) state.attempts++;
    if (!isFinal() && state.schedule && state.attempts >= state.schedule.maxAttempts) setStatus('exhausted');
  }

  // ---- Start -------------------------------------------------------------------------------------------------
  /** The campaign cannot start with this input: it ends cancelled, saying why, instead of failing or retrying. */
  function rejectedAtStart(error: unknown): void {
    const rejected = rejectedInput(error);
    if (rejected === undefined || !patched(REJECTED_INPUT_PATCH)) throw error;
    log.warn('recovery campaign input rejected', { campaignId: state.campaignId, rejected });
    state.cancelReason = `invalid input: ${rejected}`;
    setStatus('cancelled');
  }

  /** False when recordCampaign was rejected: there is no row to update and no instrument to release. */
  let recordedRow = true;
  if (!carried) {
    try {
      const recorded = await acts.recordCampaign({
        tenantId: state.tenantId,
        campaignId: state.campaignId,
        item: state.item,
        amount: state.amount,
        currency: state.currency,
        customer: state.customer,
        metadata: input.metadata ?? {},
      });
      advance(recorded.nowMs);
      if (FINAL_STATUSES.has(recorded.status) && state.status === 'active') state.status = recorded.status;
    } catch (error) {
      rejectedAtStart(error);
      recordedRow = false;
    }
  }
  if (!recordedRow) {
    await condition(allHandlersFinished);
    return state;
  }
  try {
    state.schedule ??= await acts.loadSchedule({ tenantId: state.tenantId });
    state.expiresAtMs ??= state.startedAtMs + state.schedule.expiryDays * DAY_MS;
  } catch (error) {
    rejectedAtStart(error);
  }
  setSearchAttributes();

  /** The step number the schedule was last re-read for (v2). */
  let refreshedForStep = 0;
  /**
   * Synchronous on purpose: an extra `await` on the v1 path would reorder commands against update handlers and
   * break replay of old histories. Offsets stay relative to the campaign start, steps already handled (by offset)
   * are not sent again, and the expiry fixed at start stays.
   */
  const scheduleRefreshDue = (): boolean =>
    !input.schedule &&
    state.status !== 'paused' &&
    state.stepsRun > 0 &&
    refreshedForStep !== state.stepsRun + 1 &&
    patched(SCHEDULE_REFRESH_PATCH);

  // ---- Main loop ---------------------------------------------------------------------------------------------
  while (!isFinal()) {
    const seen = changes;
    // Writes queued by handlers land first; their results move the clock forward to (about) now.
    await persistChain;
    if (isFinal()) break;
    if (sendNowRequested) {
      if (state.status !== 'exhausted') await runStep(true);
      sendNowRequested = false;
      continue;
    }
    if (state.status === 'snoozed' && state.snoozedUntilMs !== null && state.snoozedUntilMs <= clock) {
      state.snoozedUntilMs = null;
      setStatus('active');
    }
    if (scheduleRefreshDue()) {
      refreshedForStep = state.stepsRun + 1;
      state.schedule = await acts.loadSchedule({ tenantId: state.tenantId });
      if (isFinal()) continue;
    }
    state.nextStep = state.status === 'paused' ? null : plan();
    setSearchAttributes();
    await persist();
    if (isFinal() || changes !== seen) continue;
    const expiresAt = state.expiresAtMs!;
    let wakeAt = state.nextStep ? state.nextStep.atMs : expiresAt;
    if (state.status === 'snoozed' && state.snoozedUntilMs !== null) wakeAt = Math.min(wakeAt, state.snoozedUntilMs);
    wakeAt = Math.min(wakeAt, expiresAt);
    const waitMs = wakeAt - clock;
    if (waitMs > 0 && (await condition(() => changes !== seen || isFinal(), waitMs))) continue;
    advance(wakeAt);
    if (clock >= expiresAt) {
      if (state.status !== 'exhausted') setStatus('expired');
      break;
    }
    if (state.nextStep && clock >= state.nextStep.atMs && state.status !== 'paused') await runStep(false);
    if (workflowInfo().continueAsNewSuggested && !isFinal()) {
      await persistChain;
      await condition(allHandlersFinished);
      const { nextStep: _next, ...rest } = state;
      await continueAsNew<typeof recoveryWorkflow>({ ...input, schedule: state.schedule ?? undefined, carried: rest });
    }
  }

  setSearchAttributes();
  await persist();
  if (state.status !== 'paid' && patched(ITEM_INSTRUMENT_PATCH)) {
    await acts.releasePaymentInstrument({ tenantId: state.tenantId, item: state.item });
  }
  await condition(allHandlersFinished);
  log.info('recovery campaign finished', { campaignId: state.campaignId, status: state.status });
  return state;
}
