import { patched } from '@temporalio/workflow';
import type { SendOutcome } from '../../src/domain/messaging/contracts.js';
import type { Campaign } from './campaign.js';
import type { GetPaymentLinkInput, SendStepInput, SendStepResult } from '../../activities/recovery.js';
import { ITEM_INSTRUMENT_PATCH, ONE_ACTIVITY_PER_STEP_PATCH } from './patches.js';
import {
  collapseOverdue,
  disabledBy,
  fallbackTargets,
  isAttempted,
  nextScheduleStep,
  resolveChannels,
  STRIPE_RETRY_GRACE_MS,
  waitsForStripeRetry,
  type SendTarget,
} from './rules.js';

/**
 * Sends the next schedule step (`immediate`: a send-now, without collapsing overdue steps or waiting for Stripe's
 * retry): a payment link for the item, then the messages, with a fallback channel for one that just turned unusable.
 */
export async function runStep(campaign: Campaign, immediate: boolean): Promise<void> {
  const { state, acts } = campaign;
  const next = nextScheduleStep(state);
  if (!next) return;
  const { offsetMinutes, channels } = immediate ? next : collapseOverdue(state, next, campaign.clock);
  const step = state.stepsRun + 1;
  const previousOffset = state.lastOffsetMinutes;
  state.lastOffsetMinutes = offsetMinutes;
  state.nextStep = null;
  const targets = resolveChannels(state, channels);
  if (targets.length === 0) {
    for (const channel of channels) {
      campaign.recordMessage(step, channel, { status: 'skipped', reason: state.disabledChannels[channel] ? 'suppressed' : 'channel_unavailable' });
    }
    state.stepsRun = step;
    return;
  }
  if (patched(ONE_ACTIVITY_PER_STEP_PATCH)) return runStepInOneActivity(campaign, immediate, step, targets, previousOffset);
  const link = await acts.getPaymentLink(linkInput(campaign, step));
  if (patched(ITEM_INSTRUMENT_PATCH)) {
    if (campaign.isFinal()) return;
    if (link.nowMs !== undefined) campaign.advance(link.nowMs);
    if (link.settled) {
      campaign.recordPayment({ via: 'detected' });
      return;
    }
    const retryAt = link.nextPaymentAttemptMs ?? null;
    if (!immediate && waitsForStripeRetry(campaign.clock, retryAt)) {
      // Stripe retries the invoice itself soon: if that succeeds, the customer hears nothing from us.
      state.lastOffsetMinutes = previousOffset;
      state.waitForStripeRetryUntilMs = retryAt! + STRIPE_RETRY_GRACE_MS;
      return;
    }
    state.waitForStripeRetryUntilMs = null;
    if (link.url === null) {
      for (const target of targets) campaign.recordMessage(step, target.channel, { status: 'skipped', reason: 'no_payment_page' }, target.fallbackFor);
      state.stepsRun = step;
      return;
    }
  }
  const paymentUrl = link.url ?? '';
  state.lastPaymentUrl = paymentUrl;
  // A payment or cancel that arrived while the link was being made: nothing goes out.
  if (campaign.isFinal()) return;
  const outcomes = await sendOn(campaign, step, targets, paymentUrl);
  await finishStep(campaign, step, targets, outcomes, paymentUrl);
}

/** The rest of a step once its first sends are back: a fallback channel for one that just turned unusable, then counts. */
async function finishStep(campaign: Campaign, step: number, targets: SendTarget[], outcomes: SendOutcome[], paymentUrl: string): Promise<void> {
  const { state } = campaign;
  const retry = fallbackTargets(state, targets, outcomes);
  const allOutcomes = [...outcomes];
  if (retry.length > 0 && !campaign.isFinal()) allOutcomes.push(...(await sendOn(campaign, step, retry, paymentUrl)));
  state.stepsRun = step;
  if (allOutcomes.some(isAttempted)) state.attempts++;
  if (!campaign.isFinal() && state.schedule && state.attempts >= state.schedule.maxAttempts) campaign.setStatus('exhausted');
}

/**
 * The same step with the link and the first sends in one activity (sendStepWithLink), which takes the decisions the
 * workflow takes above between getPaymentLink and sendStep and says which it took.
 */
async function runStepInOneActivity(campaign: Campaign, immediate: boolean, step: number, targets: SendTarget[], previousOffset: number): Promise<void> {
  const { state } = campaign;
  const result = await campaign.acts.sendStepWithLink({
    ...linkInput(campaign, step),
    ...sendInput(campaign, step, targets),
    scheduled: !immediate,
    clockMs: campaign.clock,
  });
  campaign.advance(result.nowMs);
  if (result.decision === 'settled') {
    campaign.recordPayment({ via: 'detected' });
    return;
  }
  if (result.decision !== 'sent') {
    // A payment or cancel that arrived while the link was being made: the step is not counted.
    if (campaign.isFinal()) return;
    if (result.decision === 'waits_for_stripe_retry') {
      state.lastOffsetMinutes = previousOffset;
      state.waitForStripeRetryUntilMs = result.link.nextPaymentAttemptMs! + STRIPE_RETRY_GRACE_MS;
      return;
    }
    state.waitForStripeRetryUntilMs = null;
    for (const target of targets) campaign.recordMessage(step, target.channel, { status: 'skipped', reason: 'no_payment_page' }, target.fallbackFor);
    state.stepsRun = step;
    return;
  }
  state.waitForStripeRetryUntilMs = null;
  const paymentUrl = result.link.url ?? '';
  state.lastPaymentUrl = paymentUrl;
  await finishStep(campaign, step, targets, applySendResult(campaign, step, targets, result), paymentUrl);
}

function linkInput(campaign: Campaign, step: number): GetPaymentLinkInput {
  const { state, input } = campaign;
  return {
    tenantId: state.tenantId,
    campaignId: state.campaignId,
    step,
    item: state.item,
    amount: state.amount,
    currency: state.currency,
    customerEmail: state.customer.email,
    successUrl: input.successUrl,
    retry: input.retry,
  };
}

function sendInput(campaign: Campaign, step: number, targets: SendTarget[]): Omit<SendStepInput, 'paymentUrl'> {
  const { state, input } = campaign;
  return {
    tenantId: state.tenantId,
    campaignId: state.campaignId,
    step,
    channels: targets.map((t) => t.channel),
    recipient: { email: state.customer.email, phone: state.customer.phone, name: state.customer.name, timeZone: state.customer.timeZone },
    amount: state.amount,
    currency: state.currency,
    ...(input.dueDate ? { dueDate: input.dueDate } : {}),
    ...(campaign.lean && !input.schedule ? { withSchedule: true } : {}),
  };
}

async function sendOn(campaign: Campaign, step: number, targets: SendTarget[], paymentUrl: string): Promise<SendOutcome[]> {
  const result = await campaign.acts.sendStep({ ...sendInput(campaign, step, targets), paymentUrl });
  return applySendResult(campaign, step, targets, result);
}

/** Records what a send reported: the messages, channels that turned unusable, a payment found on the way. */
function applySendResult(campaign: Campaign, step: number, targets: SendTarget[], result: SendStepResult): SendOutcome[] {
  const { state } = campaign;
  campaign.advance(result.nowMs);
  campaign.freshSchedule = result.schedule;
  const outcomes: SendOutcome[] = [];
  for (const { channel, outcome } of result.outcomes) {
    campaign.recordMessage(step, channel, outcome, targets.find((t) => t.channel === channel)?.fallbackFor);
    outcomes.push(outcome);
    const disabled = disabledBy(outcome);
    if (disabled) state.disabledChannels[channel] = disabled;
    if (outcome.status === 'skipped' && outcome.reason === 'item_paid') campaign.recordPayment({ via: 'detected' });
  }
  return outcomes;
}
