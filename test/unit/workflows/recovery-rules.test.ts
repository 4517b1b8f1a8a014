import { describe, expect, it } from 'vitest';
import type { RecoveryInput, RecoveryState } from '../../../workflows/recovery/messages.js';
import {
  campaignSnapshot,
  cancelRefusal,
  collapseOverdue,
  disabledBy,
  fallbackTargets,
  initialRecoveryState,
  isAttempted,
  markPaidRefusal,
  nextScheduleStep,
  pauseRefusal,
  paymentFields,
  plan,
  resolveChannels,
  resumeRefusal,
  sendNowRefusal,
  snoozeRefusal,
  stepDueNow,
  waitsForStripeRetry,
  wakeAt,
} from '../../../workflows/recovery/rules.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 5, 9, 0); // a Monday, 09:00 UTC

const input: RecoveryInput = {
  tenantId: 't_1',
  campaignId: 'invoice:inv_1',
  item: { kind: 'invoice', ref: 'inv_1' },
  amount: 12_000,
  currency: 'eur',
  customer: { email: 'a@example.com', phone: '+4915112345678', timeZone: 'UTC', id: 'cus_1' },
  successUrl: 'https://example.com/paid',
  retry: { initialIntervalMs: 1000, maximumIntervalMs: 60_000, maximumAttempts: 5 } as unknown as RecoveryInput['retry'],
  schedule: {
    steps: [
      { offsetMinutes: 0, channels: ['email'] },
      { offsetMinutes: 60, channels: ['sms'] },
      { offsetMinutes: 24 * 60, channels: ['email', 'sms'] },
    ],
    quietHours: null,
    maxAttempts: 3,
    expiryDays: 14,
  },
};

function campaign(overrides: Partial<RecoveryState> = {}): RecoveryState {
  return { ...initialRecoveryState(input, START), expiresAtMs: START + 14 * DAY, ...overrides };
}

describe('recovery rules: planning', () => {
  it('plans the first step at the campaign start', () => {
    expect(plan(campaign(), START, 'UTC')).toEqual({ number: 1, channels: ['email'], dueAtMs: START, atMs: START });
  });

  it('plans the next step after the last offset handled, not before now or the end of a snooze', () => {
    const state = campaign({ lastOffsetMinutes: 0, stepsRun: 1, status: 'snoozed', snoozedUntilMs: START + 2 * HOUR });
    expect(plan(state, START + 10 * MINUTE, 'UTC')).toEqual({ number: 2, channels: ['sms'], dueAtMs: START + HOUR, atMs: START + 2 * HOUR });
  });

  it('waits for Stripe’s retry of the invoice when one is due', () => {
    const state = campaign({ lastOffsetMinutes: 0, stepsRun: 1, waitForStripeRetryUntilMs: START + 5 * HOUR });
    expect(plan(state, START, 'UTC')?.atMs).toBe(START + 5 * HOUR);
  });

  it('plans nothing after the last step, once exhausted, or past the expiry', () => {
    expect(plan(campaign({ lastOffsetMinutes: 24 * 60 }), START, 'UTC')).toBeNull();
    expect(plan(campaign({ status: 'exhausted' }), START, 'UTC')).toBeNull();
    expect(plan(campaign({ expiresAtMs: START }), START, 'UTC')).toBeNull();
  });

  it('collapses steps that came due while paused into one, channels merged', () => {
    const state = campaign();
    const first = nextScheduleStep(state)!;
    expect(first).toEqual({ index: 0, offsetMinutes: 0, channels: ['email'] });
    expect(collapseOverdue(state, first, START + 2 * DAY)).toEqual({ offsetMinutes: 24 * 60, channels: ['email', 'sms'] });
    expect(collapseOverdue(state, first, START + 30 * MINUTE)).toEqual({ offsetMinutes: 0, channels: ['email'] });
  });

  it('wakes at the next step, the end of a snooze, or the expiry, whichever is first', () => {
    const expiry = START + 14 * DAY;
    expect(wakeAt({ nextStep: { number: 2, channels: ['sms'], dueAtMs: START + HOUR, atMs: START + HOUR }, status: 'active', snoozedUntilMs: null }, expiry)).toBe(START + HOUR);
    expect(wakeAt({ nextStep: null, status: 'snoozed', snoozedUntilMs: START + DAY }, expiry)).toBe(START + DAY);
    expect(wakeAt({ nextStep: null, status: 'paused', snoozedUntilMs: null }, expiry)).toBe(expiry);
  });

  it('runs a planned step without writing the plan first only when it is due, active and before the expiry', () => {
    const step = { number: 1, channels: ['email' as const], dueAtMs: START, atMs: START };
    expect(stepDueNow(campaign({ nextStep: step }), START)).toBe(true);
    expect(stepDueNow(campaign({ nextStep: step }), START - 1)).toBe(false);
    expect(stepDueNow(campaign({ nextStep: null }), START)).toBe(false);
    expect(stepDueNow(campaign({ nextStep: step, status: 'snoozed', snoozedUntilMs: START + HOUR }), START)).toBe(false);
    expect(stepDueNow(campaign({ nextStep: step, expiresAtMs: START }), START)).toBe(false);
  });

  it('waits for Stripe’s retry from a day before it until an hour after it', () => {
    const retryAt = START + 2 * DAY;
    expect(waitsForStripeRetry(retryAt - DAY - 1, retryAt)).toBe(false);
    expect(waitsForStripeRetry(retryAt - DAY, retryAt)).toBe(true);
    expect(waitsForStripeRetry(retryAt + HOUR - 1, retryAt)).toBe(true);
    expect(waitsForStripeRetry(retryAt + HOUR, retryAt)).toBe(false);
    expect(waitsForStripeRetry(retryAt, null)).toBe(false);
  });
});

describe('recovery rules: channels', () => {
  it('replaces a channel the customer cannot be reached on by the other one', () => {
    const noPhone = campaign({ customer: { email: 'a@example.com' } });
    expect(resolveChannels(noPhone, ['sms'])).toEqual([{ channel: 'email', fallbackFor: 'sms' }]);
    expect(resolveChannels(noPhone, ['email', 'sms'])).toEqual([{ channel: 'email' }]);
    expect(resolveChannels(campaign({ disabledChannels: { email: 'suppressed' } }), ['email'])).toEqual([{ channel: 'sms', fallbackFor: 'email' }]);
    expect(resolveChannels(campaign({ customer: {} }), ['email', 'sms'])).toEqual([]);
  });

  it('falls back on the other channel when one just turned unusable', () => {
    const state = campaign({ disabledChannels: { sms: 'failed permanently: invalid number' } });
    expect(fallbackTargets(state, [{ channel: 'sms' }], [{ status: 'failed', permanent: true, error: 'invalid number' }])).toEqual([
      { channel: 'email', fallbackFor: 'sms' },
    ]);
    expect(fallbackTargets(state, [{ channel: 'sms' }, { channel: 'email' }], [{ status: 'failed', permanent: true, error: 'x' }, { status: 'sent', providerId: 'm1' }])).toEqual([]);
  });

  it('disables a channel on suppression or a permanent failure', () => {
    expect(disabledBy({ status: 'skipped', reason: 'suppressed' })).toBe('suppressed');
    expect(disabledBy({ status: 'failed', permanent: true, error: 'bounced' })).toBe('failed permanently: bounced');
    expect(disabledBy({ status: 'failed', permanent: false, error: 'timeout' })).toBeUndefined();
  });

  it('counts sent, failed and possibly sent messages as attempts', () => {
    expect(isAttempted({ status: 'sent', providerId: 'm1' })).toBe(true);
    expect(isAttempted({ status: 'failed', permanent: false, error: 'x' })).toBe(true);
    expect(isAttempted({ status: 'skipped', reason: 'possibly_sent' })).toBe(true);
    expect(isAttempted({ status: 'skipped', reason: 'channel_unavailable' })).toBe(false);
  });
});

describe('recovery rules: operator actions', () => {
  it('refuses actions on a campaign that is over, with the code the gateway maps to 409', () => {
    expect(pauseRefusal({ status: 'paid' })).toEqual({ code: 'campaign_paid', message: 'cannot pause: the campaign is paid' });
    expect(pauseRefusal({ status: 'paused' })).toEqual({ code: 'campaign_paused', message: 'the campaign is already paused' });
    expect(resumeRefusal({ status: 'active' })).toEqual({ code: 'campaign_active', message: 'the campaign is not paused or snoozed' });
    expect(resumeRefusal({ status: 'exhausted' })).toEqual({ code: 'campaign_exhausted', message: 'cannot resume: the campaign used all its attempts' });
    expect(cancelRefusal({ status: 'exhausted' })).toBeUndefined();
    expect(cancelRefusal({ status: 'cancelled' })).toEqual({ code: 'campaign_cancelled', message: 'the campaign is already cancelled' });
    expect(markPaidRefusal({ status: 'active' }, 0)).toEqual({ code: 'invalid_amount', message: 'amount must be a positive integer' });
    expect(markPaidRefusal({ status: 'exhausted' }, 100)).toBeUndefined();
  });

  it('refuses a snooze in the past or beyond the expiry', () => {
    const state = campaign();
    expect(snoozeRefusal(state, START, START)).toEqual({ code: 'snooze_in_past', message: 'snooze until must be in the future' });
    expect(snoozeRefusal(state, START + 14 * DAY, START)).toEqual({ code: 'snooze_after_expiry', message: 'snooze until must be before the campaign expires' });
    expect(snoozeRefusal(state, START + DAY, START)).toBeUndefined();
  });

  it('refuses a send-now with no step left or one already pending', () => {
    expect(sendNowRefusal(campaign({ lastOffsetMinutes: 24 * 60 }), false)).toEqual({ code: 'no_step_left', message: 'every step of the schedule was already sent' });
    expect(sendNowRefusal(campaign(), true)).toEqual({ code: 'send_pending', message: 'a send-now is already in progress' });
    expect(sendNowRefusal(campaign(), false)).toBeUndefined();
  });
});

describe('recovery rules: payments and state', () => {
  it('claims the campaign amount unless the payment says otherwise; a detected payment claims none', () => {
    expect(paymentFields({ via: 'webhook', reference: 'pi_1' }, 12_000, START)).toEqual({ paidAtMs: START, paidVia: 'webhook', recoveredAmount: 12_000, paymentReference: 'pi_1' });
    expect(paymentFields({ via: 'manual', amount: 5000, paidAtMs: START + 1 }, 12_000, START)).toEqual({ paidAtMs: START + 1, paidVia: 'manual', recoveredAmount: 5000, paymentReference: null });
    expect(paymentFields({ via: 'detected' }, 12_000, START)).toEqual({ paidAtMs: START, paidVia: 'detected', recoveredAmount: null, paymentReference: null });
  });

  it('starts active with nothing sent; a carried state replaces it, the next step is always planned again', () => {
    const fresh = initialRecoveryState(input, START);
    expect(fresh).toMatchObject({ status: 'active', startedAtMs: START, lastOffsetMinutes: -1, attempts: 0, stepsRun: 0, nextStep: null, messages: [] });
    const { nextStep: _n, ...carried } = campaign({ status: 'paused', stepsRun: 2, nextStep: { number: 3, channels: ['email'], dueAtMs: 1, atMs: 1 } });
    expect(initialRecoveryState({ ...input, carried }, START + DAY)).toEqual({ ...carried, nextStep: null });
  });

  it('saves the campaign row from its state', () => {
    expect(campaignSnapshot(campaign({ nextStep: { number: 1, channels: ['email'], dueAtMs: START, atMs: START + 5 } }))).toEqual({
      tenantId: 't_1',
      campaignId: 'invoice:inv_1',
      status: 'active',
      attempts: 0,
      nextStepAtMs: START + 5,
      paidAtMs: null,
      paidVia: null,
      recoveredAmount: null,
      messages: [],
    });
  });
});
