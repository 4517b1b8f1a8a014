import type { CampaignSnapshot, CampaignStatus, PaidVia } from '../../src/domain/recovery/contracts.js';
import type { Channel, SendOutcome } from '../../src/domain/messaging/contracts.js';
import { nextAllowedSendTime } from '../../src/domain/recovery/time.js';
import { FINAL_STATUSES, type PaymentReceived, type RecoveryInput, type RecoveryNextStep, type RecoveryState } from './messages.js';

/** A step due in the day before Stripe's own retry of the invoice waits until an hour after it. */
const STRIPE_RETRY_LOOKAHEAD_MS = 24 * 60 * 60 * 1000;
export const STRIPE_RETRY_GRACE_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60_000;
const MESSAGES_LIMIT = 200;

export const isFinal = (status: CampaignStatus): boolean => FINAL_STATUSES.has(status);

/** A fresh campaign's state (or the carried one laid over it); the next step is always planned again. */
export function initialRecoveryState(input: RecoveryInput, startedAtMs: number): RecoveryState {
  return {
    tenantId: input.tenantId,
    campaignId: input.campaignId,
    item: input.item,
    amount: input.amount,
    currency: input.currency,
    customer: input.customer,
    status: 'active',
    startedAtMs,
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
    ...input.carried,
    nextStep: null,
  };
}

export function campaignSnapshot(state: RecoveryState): CampaignSnapshot {
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

/** What a payment writes into the campaign ('detected': the item was found settled, so no amount is claimed). */
export function paymentFields(
  payment: PaymentReceived,
  campaignAmount: number,
  clock: number,
): { paidAtMs: number; paidVia: PaidVia; recoveredAmount: number | null; paymentReference: string | null } {
  return {
    paidAtMs: payment.paidAtMs ?? clock,
    paidVia: payment.via,
    recoveredAmount: payment.via === 'detected' ? (payment.amount ?? null) : (payment.amount ?? campaignAmount),
    paymentReference: payment.reference ?? null,
  };
}

// ---- Operator actions: why one is refused (code and message), or undefined ----------------------------------

export interface TransitionRefusal {
  code: string;
  message: string;
}

const refusal = (code: string, message: string): TransitionRefusal => ({ code, message });

/** Any operator action on a campaign that is over (paid, cancelled, expired) or used all its attempts. */
export function inoperable(status: CampaignStatus, action: string): TransitionRefusal | undefined {
  if (status === 'paid') return refusal('campaign_paid', `cannot ${action}: the campaign is paid`);
  if (status === 'cancelled') return refusal('campaign_cancelled', `cannot ${action}: the campaign is cancelled`);
  if (status === 'expired') return refusal('campaign_expired', `cannot ${action}: the campaign expired`);
  if (status === 'exhausted') return refusal('campaign_exhausted', `cannot ${action}: the campaign used all its attempts`);
  return undefined;
}

export const pauseRefusal = (state: Pick<RecoveryState, 'status'>): TransitionRefusal | undefined =>
  inoperable(state.status, 'pause') ?? (state.status === 'paused' ? refusal('campaign_paused', 'the campaign is already paused') : undefined);

export const resumeRefusal = (state: Pick<RecoveryState, 'status'>): TransitionRefusal | undefined =>
  inoperable(state.status, 'resume') ?? (state.status === 'active' ? refusal('campaign_active', 'the campaign is not paused or snoozed') : undefined);

export function snoozeRefusal(state: Pick<RecoveryState, 'status' | 'expiresAtMs'>, untilMs: number, clock: number): TransitionRefusal | undefined {
  const over = inoperable(state.status, 'snooze');
  if (over) return over;
  if (!Number.isFinite(untilMs) || untilMs <= clock) return refusal('snooze_in_past', 'snooze until must be in the future');
  if (state.expiresAtMs !== null && untilMs >= state.expiresAtMs) return refusal('snooze_after_expiry', 'snooze until must be before the campaign expires');
  return undefined;
}

export function cancelRefusal(state: Pick<RecoveryState, 'status'>): TransitionRefusal | undefined {
  if (state.status === 'paid') return refusal('campaign_paid', 'cannot cancel: the campaign is paid');
  if (state.status === 'cancelled') return refusal('campaign_cancelled', 'the campaign is already cancelled');
  if (state.status === 'expired') return refusal('campaign_expired', 'cannot cancel: the campaign expired');
  return undefined;
}

export function sendNowRefusal(state: Pick<RecoveryState, 'status' | 'schedule' | 'lastOffsetMinutes'>, sendNowPending: boolean): TransitionRefusal | undefined {
  const over = inoperable(state.status, 'send now');
  if (over) return over;
  if (state.schedule && !nextScheduleStep(state)) return refusal('no_step_left', 'every step of the schedule was already sent');
  if (sendNowPending) return refusal('send_pending', 'a send-now is already in progress');
  return undefined;
}

export function markPaidRefusal(state: Pick<RecoveryState, 'status'>, amount: number | undefined): TransitionRefusal | undefined {
  if (state.status === 'paid') return refusal('campaign_paid', 'the campaign is already paid');
  if (state.status === 'cancelled') return refusal('campaign_cancelled', 'cannot mark paid: the campaign is cancelled');
  if (state.status === 'expired') return refusal('campaign_expired', 'cannot mark paid: the campaign expired');
  if (amount !== undefined && (!Number.isSafeInteger(amount) || amount <= 0)) return refusal('invalid_amount', 'amount must be a positive integer');
  return undefined;
}

// ---- Planning ----------------------------------------------------------------------------------------------

export interface ScheduleStepRef {
  index: number;
  offsetMinutes: number;
  channels: Channel[];
}

const dueOf = (state: Pick<RecoveryState, 'startedAtMs'>, offsetMinutes: number): number => state.startedAtMs + offsetMinutes * MINUTE_MS;

/** The first schedule step after the last one handled. */
export function nextScheduleStep(state: Pick<RecoveryState, 'schedule' | 'lastOffsetMinutes'>): ScheduleStepRef | undefined {
  const steps = state.schedule?.steps ?? [];
  const index = steps.findIndex((step) => step.offsetMinutes > state.lastOffsetMinutes);
  return index < 0 ? undefined : { index, offsetMinutes: steps[index]!.offsetMinutes, channels: [...steps[index]!.channels] };
}

/** Steps whose time has come while the campaign was paused or snoozed collapse into one (channels merged). */
export function collapseOverdue(
  state: Pick<RecoveryState, 'schedule' | 'startedAtMs'>,
  first: ScheduleStepRef,
  clock: number,
): { offsetMinutes: number; channels: Channel[] } {
  const steps = state.schedule!.steps;
  let { index, offsetMinutes } = first;
  const channels = new Set(first.channels);
  while (index + 1 < steps.length && dueOf(state, steps[index + 1]!.offsetMinutes) <= clock) {
    index++;
    offsetMinutes = steps[index]!.offsetMinutes;
    for (const channel of steps[index]!.channels) channels.add(channel);
  }
  return { offsetMinutes, channels: (['email', 'sms'] as const).filter((channel) => channels.has(channel)) };
}

/** The next step and when it goes (after snooze, Stripe's retry and quiet hours), or null when none goes before expiry. */
export function plan(state: RecoveryState, clock: number, timeZone: string): RecoveryNextStep | null {
  const step = nextScheduleStep(state);
  if (!step || state.status === 'exhausted') return null;
  const dueAtMs = dueOf(state, step.offsetMinutes);
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

/** When the main loop wakes: the next step, the snooze's end or the expiry, whichever is first. */
export function wakeAt(state: Pick<RecoveryState, 'nextStep' | 'status' | 'snoozedUntilMs'>, expiresAt: number): number {
  let at = state.nextStep ? state.nextStep.atMs : expiresAt;
  if (state.status === 'snoozed' && state.snoozedUntilMs !== null) at = Math.min(at, state.snoozedUntilMs);
  return Math.min(at, expiresAt);
}

/** Stripe retries the invoice itself within a day (or did within the hour): a scheduled step waits for it. */
export const waitsForStripeRetry = (clock: number, retryAtMs: number | null): boolean =>
  retryAtMs !== null && clock >= retryAtMs - STRIPE_RETRY_LOOKAHEAD_MS && clock < retryAtMs + STRIPE_RETRY_GRACE_MS;

// ---- Channels ----------------------------------------------------------------------------------------------

export interface SendTarget {
  channel: Channel;
  fallbackFor?: Channel;
}

type ChannelState = Pick<RecoveryState, 'disabledChannels' | 'customer'>;

export const usable = (state: ChannelState, channel: Channel): boolean =>
  !state.disabledChannels[channel] && Boolean(channel === 'email' ? state.customer.email : state.customer.phone);
export const otherChannel = (channel: Channel): Channel => (channel === 'email' ? 'sms' : 'email');

/** Scheduled channels, with an unusable one replaced by the other channel (no phone → email only). */
export function resolveChannels(state: ChannelState, wanted: Channel[]): SendTarget[] {
  const chosen: SendTarget[] = [];
  for (const channel of wanted) {
    if (usable(state, channel)) {
      if (!chosen.some((c) => c.channel === channel)) chosen.push({ channel });
    } else {
      const other = otherChannel(channel);
      if (usable(state, other) && !wanted.includes(other) && !chosen.some((c) => c.channel === other)) chosen.push({ channel: other, fallbackFor: channel });
    }
  }
  return chosen;
}

/** Targets whose channel just turned out unusable (and did not send): the step goes out on the other channel. */
export function fallbackTargets(state: ChannelState, targets: SendTarget[], outcomes: SendOutcome[]): SendTarget[] {
  return targets
    .filter((t, i) => state.disabledChannels[t.channel] && outcomes[i] && outcomes[i]!.status !== 'sent')
    .map((t) => ({ channel: otherChannel(t.channel), fallbackFor: t.channel }))
    .filter((t) => usable(state, t.channel) && !targets.some((sent) => sent.channel === t.channel));
}

/** Why a channel is no longer used after this outcome, or undefined. */
export function disabledBy(outcome: SendOutcome): string | undefined {
  if (outcome.status === 'skipped' && outcome.reason === 'suppressed') return 'suppressed';
  if (outcome.status === 'failed' && outcome.permanent) return `failed permanently: ${outcome.error}`;
  return undefined;
}

/** A message that went out, failed, or may have gone out: it counts as an attempt. */
export const isAttempted = (outcome: SendOutcome): boolean =>
  outcome.status === 'sent' || outcome.status === 'failed' || (outcome.status === 'skipped' && (outcome.reason === 'already_sent' || outcome.reason === 'possibly_sent'));

/** Appends a message record, keeping the newest 200. */
export function recordMessage(state: Pick<RecoveryState, 'messages'>, message: RecoveryState['messages'][number]): void {
  state.messages.push(message);
  if (state.messages.length > MESSAGES_LIMIT) state.messages.shift();
}

/** The planned step is due and nothing else stands before it: the main loop runs it without waiting. */
export function stepDueNow(state: Pick<RecoveryState, 'nextStep' | 'status' | 'expiresAtMs'>, clock: number): boolean {
  return state.status === 'active' && state.nextStep !== null && state.nextStep.atMs <= clock && state.expiresAtMs !== null && clock < state.expiresAtMs;
}
