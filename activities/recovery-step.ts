import type { PaymentLinkResult } from '../src/domain/recovery/contracts.js';
import { waitsForStripeRetry } from '../workflows/recovery/rules.js';
import type { GetPaymentLinkInput, SendStepInput, SendStepResult } from './recovery.js';

/** What the step did with the item's link: sent on it, or why nothing went out. */
export type StepSendDecision = 'settled' | 'waits_for_stripe_retry' | 'no_payment_page' | 'sent';

export interface SendStepWithLinkInput extends GetPaymentLinkInput, Omit<SendStepInput, 'paymentUrl'> {
  /** A scheduled step (not a send-now): it waits when Stripe retries the invoice itself soon. */
  scheduled: boolean;
  /** The workflow's clock when it scheduled the step; the Stripe-retry decision uses the later of it and now. */
  clockMs: number;
}

export interface SendStepWithLinkResult extends SendStepResult {
  link: PaymentLinkResult;
  decision: StepSendDecision;
}

interface StepActivities {
  getPaymentLink(input: GetPaymentLinkInput): Promise<PaymentLinkResult>;
  sendStep(input: SendStepInput): Promise<SendStepResult>;
}

/**
 * One recovery step in one activity (one billed action instead of two): the item's own instrument, then, unless
 * the item is settled, Stripe retries it soon (scheduled steps only) or there is no payable page, the messages on
 * it. The same decisions the workflow made between getPaymentLink and sendStep; sends stay idempotent per step.
 */
export async function sendStepWithLink(acts: StepActivities, input: SendStepWithLinkInput): Promise<SendStepWithLinkResult> {
  const { scheduled, clockMs, channels, recipient, dueDate, withSchedule, ...linkInput } = input;
  const link = await acts.getPaymentLink(linkInput);
  const nowMs = Math.max(clockMs, link.nowMs ?? clockMs);
  const unsent = (decision: StepSendDecision): SendStepWithLinkResult => ({ link, decision, nowMs, outcomes: [] });
  if (link.settled) return unsent('settled');
  if (scheduled && waitsForStripeRetry(nowMs, link.nextPaymentAttemptMs ?? null)) return unsent('waits_for_stripe_retry');
  if (link.url === null) return unsent('no_payment_page');
  const sent = await acts.sendStep({
    tenantId: input.tenantId,
    campaignId: input.campaignId,
    step: input.step,
    channels,
    recipient,
    amount: input.amount,
    currency: input.currency,
    ...(dueDate ? { dueDate } : {}),
    paymentUrl: link.url,
    ...(withSchedule ? { withSchedule } : {}),
  });
  return { ...sent, link, decision: 'sent' };
}
