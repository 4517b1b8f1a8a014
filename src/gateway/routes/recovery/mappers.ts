import type { CampaignRecord } from '../../../db/recovery-campaigns.js';
import type { RecoverySchedule } from '../../../domain/recovery/schedule.js';
import type { RecoveryState } from '../../../../workflows/recovery/messages.js';
import { isoFromMs } from '../../schemas.js';

export function campaignJson(campaign: CampaignRecord) {
  return {
    id: campaign.id,
    item_kind: campaign.itemKind,
    item_ref: campaign.itemRef,
    amount: campaign.amount,
    currency: campaign.currency,
    customer: { email: campaign.customerEmail, phone: campaign.customerPhone, time_zone: campaign.customerTimeZone, id: campaign.customerId },
    status: campaign.status,
    attempts: campaign.attempts,
    next_step_at: campaign.nextStepAt,
    recovered_amount: campaign.recoveredAmount,
    paid_at: campaign.paidAt,
    paid_via: campaign.paidVia,
    metadata: campaign.metadata,
    created_at: campaign.createdAt,
    updated_at: campaign.updatedAt,
  };
}

function messagesJson(messages: CampaignRecord['messages']) {
  return messages.map((m) => ({
    step: m.step,
    channel: m.channel,
    at: new Date(m.atMs).toISOString(),
    status: m.outcome.status,
    ...(m.outcome.status === 'skipped' ? { reason: m.outcome.reason } : {}),
    ...(m.outcome.status === 'failed' ? { reason: m.outcome.error } : {}),
    ...(m.fallbackFor ? { fallback_for: m.fallbackFor } : {}),
  }));
}

/** The stored row, overlaid with the running workflow's state when there is one. */
export function campaignDetailJson(campaign: CampaignRecord, live: RecoveryState | undefined) {
  const base = campaignJson(campaign);
  if (!live) return { ...base, next_step: null, snoozed_until: null, disabled_channels: {}, messages: messagesJson(campaign.messages), live: false };
  return {
    ...base,
    status: live.status,
    attempts: live.attempts,
    next_step_at: isoFromMs(live.nextStep?.atMs),
    recovered_amount: live.recoveredAmount,
    paid_at: isoFromMs(live.paidAtMs),
    paid_via: live.paidVia,
    next_step: live.nextStep
      ? { number: live.nextStep.number, channels: live.nextStep.channels, due_at: isoFromMs(live.nextStep.dueAtMs)!, at: isoFromMs(live.nextStep.atMs)! }
      : null,
    snoozed_until: isoFromMs(live.snoozedUntilMs),
    disabled_channels: live.disabledChannels,
    messages: messagesJson(live.messages),
    live: true,
  };
}

export const scheduleJson = (schedule: RecoverySchedule) => ({
  steps: schedule.steps.map((step) => ({ offset_minutes: step.offsetMinutes, channels: step.channels })),
  quiet_hours: schedule.quietHours,
  max_attempts: schedule.maxAttempts,
  expiry_days: schedule.expiryDays,
});
