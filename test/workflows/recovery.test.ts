import { activityInfo } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecoveryActivities, SendStepInput } from '../../activities/recovery.js';
import { sendStepWithLink } from '../../activities/recovery-step.js';
import { recoveryStartSearchAttributes } from '../../src/recovery/search-attributes.js';
import type { CampaignSnapshot, PaymentLinkResult, RecoveryCustomer } from '../../src/domain/recovery/contracts.js';
import type { Channel, SendOutcome } from '../../src/domain/messaging/contracts.js';
import { DEFAULT_SCHEDULE, type RecoverySchedule } from '../../src/domain/recovery/schedule.js';
import {
  cancelRecoveryUpdate,
  markPaidRecoveryUpdate,
  paymentReceivedSignal,
  pauseRecoveryUpdate,
  recoveryStateQuery,
  resumeRecoveryUpdate,
  sendNowRecoveryUpdate,
  snoozeRecoveryUpdate,
} from '../../workflows/recovery/messages.js';
import { recoveryWorkflow } from '../../workflows/recovery/workflow.js';
import { recordHistory, timeSkippingEnvironment, workflowBundleOption } from '../helpers/temporal.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const retry = { intervalsMs: [100, 200] };

/** Server time (skipped) as seen by the activity: when it was scheduled. */
const serverNow = () => activityInfo().currentAttemptScheduledTimestampMs;

interface Sent {
  step: number;
  channels: Channel[];
  atMs: number;
}

function fakeActivities(
  options: {
    schedule?: RecoverySchedule;
    outcome?: (channel: Channel, input: SendStepInput) => SendOutcome;
    /** What getPaymentLink answers at server time `nowMs` (default: a fresh URL per step). */
    link?: (nowMs: number, step: number) => PaymentLinkResult;
  } = {},
) {
  const sends: Sent[] = [];
  const snapshots: CampaignSnapshot[] = [];
  const links: number[] = [];
  const releases: string[] = [];
  const activities: RecoveryActivities = {
    async recordCampaign(input) {
      return { nowMs: serverNow(), created: true, status: 'active', ...(input.withSchedule ? { schedule: await activities.loadSchedule(input) } : {}) };
    },
    async loadSchedule() {
      return options.schedule ?? DEFAULT_SCHEDULE;
    },
    async markCampaign(snapshot) {
      snapshots.push(snapshot);
      return { nowMs: serverNow(), updated: true };
    },
    async getPaymentLink(input) {
      links.push(input.step);
      if (options.link) return options.link(serverNow(), input.step);
      return { url: `https://checkout.test/${input.campaignId}/${input.step}`, source: 'checkout_session', id: `cs_${input.step}`, expiresAtMs: null };
    },
    async releasePaymentInstrument(input) {
      releases.push(`${input.item.kind}:${input.item.ref}`);
      return { released: true };
    },
    async sendStepWithLink(input) {
      return sendStepWithLink(activities, input);
    },
    async sendStep(input) {
      const atMs = serverNow();
      sends.push({ step: input.step, channels: input.channels, atMs });
      return {
        nowMs: atMs,
        outcomes: input.channels.map((channel) => ({ channel, outcome: options.outcome?.(channel, input) ?? { status: 'sent', providerId: `${channel}-${input.step}` } })),
        ...(input.withSchedule ? { schedule: await activities.loadSchedule(input) } : {}),
      };
    },
  };
  return { activities, sends, snapshots, links, releases };
}

let env: TestWorkflowEnvironment;
let counter = 0;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
});

afterAll(async () => {
  await env?.teardown();
});

async function withWorker<T>(activities: RecoveryActivities, run: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `recovery-test-${++counter}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, activities, ...workflowBundleOption() });
  return worker.runUntil(run(taskQueue));
}

/** Skips server time to the next `hh:mm` UTC, so schedules and quiet hours line up with known wall times. */
async function alignToUtc(hour: number, minute = 0): Promise<number> {
  const now = Number(await env.currentTimeMs());
  const day = Math.floor(now / DAY) * DAY;
  let target = day + hour * HOUR + minute * 60_000;
  if (target <= now + 1000) target += DAY;
  await env.sleep(target - now);
  return target;
}

const fullCustomer: RecoveryCustomer = { email: 'ada@example.test', phone: '+15555550100', timeZone: 'UTC', id: 'client_1' };

async function start(taskQueue: string, options: { customer?: RecoveryCustomer; schedule?: RecoverySchedule; id?: string } = {}) {
  const campaignId = options.id ?? `txn:ref_${counter}`;
  return env.client.workflow.start(recoveryWorkflow, {
    workflowId: `recovery:t1:${campaignId}`,
    taskQueue,
    args: [
      {
        tenantId: 't1',
        campaignId,
        item: { kind: 'transaction', ref: `ref_${counter}` },
        amount: 4200,
        currency: 'usd',
        customer: options.customer ?? fullCustomer,
        successUrl: 'https://app.test/paid',
        retry,
        ...(options.schedule ? { schedule: options.schedule } : {}),
      },
    ],
    // As src/recovery/start.ts starts a campaign.
    typedSearchAttributes: recoveryStartSearchAttributes('t1', options.customer ?? fullCustomer),
  });
}

const relative = (sends: Sent[], startedAtMs: number) => sends.map((s) => ({ step: s.step, channels: s.channels, hours: Math.round((s.atMs - startedAtMs) / 60_000) / 60 }));

describe('Recovery workflow', () => {
  it('runs the full 14-day default schedule: email, +1 d SMS, +3 d email, +7 d email and SMS, expires at +14 d', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const handle = await start(taskQueue);
      const state = await handle.result();
      expect(state.status).toBe('expired');
      expect(relative(fake.sends, state.startedAtMs)).toEqual([
        { step: 1, channels: ['email'], hours: 0 },
        { step: 2, channels: ['sms'], hours: 24 },
        { step: 3, channels: ['email'], hours: 72 },
        { step: 4, channels: ['email', 'sms'], hours: 168 },
      ]);
      for (const send of fake.sends.slice(1)) expect((send.atMs - state.startedAtMs) % HOUR).toBeLessThan(1000);
      expect(state.attempts).toBe(4);
      expect(state.messages.map((m) => `${m.step}:${m.channel}:${m.outcome.status}`)).toEqual(['1:email:sent', '2:sms:sent', '3:email:sent', '4:email:sent', '4:sms:sent']);
      expect(fake.links).toEqual([1, 2, 3, 4]);
      const last = fake.snapshots[fake.snapshots.length - 1]!;
      expect(last).toMatchObject({ status: 'expired', attempts: 4, nextStepAtMs: null });
      const description = await handle.describe();
      expect(description.closeTime!.getTime() - state.startedAtMs).toBeGreaterThanOrEqual(14 * DAY);
      expect(description.searchAttributes).toMatchObject({ TenantId: ['t1'], CampaignStatus: ['expired'], CustomerId: ['client_1'] });
      await recordHistory(env.client, handle.workflowId, 'recovery-full-schedule.json');
    });
  });

  it('stops every later step when the payment arrives on day 2', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const handle = await start(taskQueue);
      await env.sleep(2 * DAY);
      const before = await handle.query(recoveryStateQuery);
      expect(before.nextStep).toMatchObject({ number: 3, channels: ['email'] });
      await handle.signal(paymentReceivedSignal, { via: 'webhook', amount: 4200, reference: 'cs_paid' });
      const state = await handle.result();
      expect(state.status).toBe('paid');
      expect(state.paidVia).toBe('webhook');
      expect(state.recoveredAmount).toBe(4200);
      expect(fake.sends.map((s) => s.step)).toEqual([1, 2]);
      expect(fake.snapshots[fake.snapshots.length - 1]).toMatchObject({ status: 'paid', nextStepAtMs: null });
      // It finished on payment, not at +14 days.
      const closed = (await handle.describe()).closeTime!.getTime();
      expect(closed - state.startedAtMs).toBeLessThan(3 * DAY);
      await recordHistory(env.client, handle.workflowId, 'recovery-paid-day-2-one-activity-per-step.json');
    });
  });

  it('holds a step due in quiet hours until they end, across local midnight in Asia/Tokyo', async () => {
    const schedule: RecoverySchedule = {
      ...DEFAULT_SCHEDULE,
      steps: [
        { offsetMinutes: 0, channels: ['email'] },
        { offsetMinutes: 150, channels: ['sms'] },
      ],
      expiryDays: 2,
    };
    const fake = fakeActivities({ schedule });
    await withWorker(fake.activities, async (taskQueue) => {
      const startAt = await alignToUtc(11); // 20:00 in Tokyo
      const handle = await start(taskQueue, { customer: { ...fullCustomer, timeZone: 'Asia/Tokyo' } });
      await env.sleep(HOUR);
      const planned = await handle.query(recoveryStateQuery);
      // Due 22:30 Tokyo (13:30Z), sent 08:00 Tokyo the next local day (23:00Z).
      expect(planned.nextStep).toMatchObject({ number: 2, dueAtMs: planned.startedAtMs + 150 * 60_000, atMs: startAt + 12 * HOUR });
      await handle.signal(paymentReceivedSignal, { via: 'manual' }).catch(() => undefined);
      await handle.result();
    });
    // Second run without the payment to observe the actual send time.
    const fake2 = fakeActivities({ schedule });
    await withWorker(fake2.activities, async (taskQueue) => {
      const startAt = await alignToUtc(11);
      const handle = await start(taskQueue, { customer: { ...fullCustomer, timeZone: 'Asia/Tokyo' } });
      await handle.result();
      expect(fake2.sends.map((s) => s.step)).toEqual([1, 2]);
      expect(Math.abs(fake2.sends[1]!.atMs - (startAt + 12 * HOUR))).toBeLessThan(1000);
      expect(new Date(fake2.sends[1]!.atMs).toLocaleString('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit' })).toBe('08:00');
    });
  });

  it('pauses, resumes (overdue steps collapse into one), snoozes past a step, and rejects invalid transitions', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const startAt = await alignToUtc(12);
      const handle = await start(taskQueue);
      await env.sleep(2 * HOUR);
      const paused = await handle.executeUpdate(pauseRecoveryUpdate);
      expect(paused.status).toBe('paused');
      expect(paused.nextStep).toBeNull();
      await expect(handle.executeUpdate(pauseRecoveryUpdate)).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await env.sleep(4 * DAY); // steps 2 (+1 d) and 3 (+3 d) come due while paused
      expect(fake.sends.map((s) => s.step)).toEqual([1]);
      const resumed = await handle.executeUpdate(resumeRecoveryUpdate);
      expect(resumed.status).toBe('active');
      await env.sleep(HOUR);
      expect(fake.sends.map((s) => s.channels)).toEqual([['email'], ['email', 'sms']]);
      expect(fake.sends[1]!.atMs - startAt).toBeGreaterThanOrEqual(4 * DAY);

      // Snooze past the +7 d step until +8 d 13:00.
      const until = startAt + 8 * DAY + HOUR;
      await expect(handle.executeUpdate(snoozeRecoveryUpdate, { args: [{ untilMs: startAt }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      const snoozed = await handle.executeUpdate(snoozeRecoveryUpdate, { args: [{ untilMs: until }] });
      expect(snoozed.status).toBe('snoozed');
      expect(snoozed.nextStep).toMatchObject({ number: 3, atMs: until });
      await env.sleep(5 * DAY);
      expect(fake.sends).toHaveLength(3);
      expect(Math.abs(fake.sends[2]!.atMs - until)).toBeLessThan(1000);
      expect((await handle.query(recoveryStateQuery)).status).toBe('active');
      const failure = await handle.executeUpdate(resumeRecoveryUpdate).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((failure as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'RecoveryTransitionRejected', details: [{ code: 'campaign_active' }] });

      const paid = await handle.executeUpdate(markPaidRecoveryUpdate, { args: [{ reference: 'bank transfer' }] });
      expect(paid.status).toBe('paid');
      const state = await handle.result();
      expect(state.status).toBe('paid');
      expect(state.paidVia).toBe('manual');
      await recordHistory(env.client, handle.workflowId, 'recovery-operator-actions.json');
    });
  });

  it('sends the next step at once on send-now and stops on cancel', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const handle = await start(taskQueue);
      await env.sleep(HOUR);
      const after = await handle.executeUpdate(sendNowRecoveryUpdate);
      expect(after.stepsRun).toBe(2);
      expect(fake.sends.map((s) => s.channels)).toEqual([['email'], ['sms']]);
      await env.sleep(1000);
      expect((await handle.query(recoveryStateQuery)).nextStep).toMatchObject({ number: 3, channels: ['email'] });
      const cancelled = await handle.executeUpdate(cancelRecoveryUpdate, { args: [{ reason: 'disputed' }] });
      expect(cancelled.status).toBe('cancelled');
      const state = await handle.result();
      expect(state.status).toBe('cancelled');
      expect(fake.sends).toHaveLength(2);
    });
  });

  it('stops sending after max attempts and ends exhausted', async () => {
    const fake = fakeActivities({ schedule: { ...DEFAULT_SCHEDULE, maxAttempts: 2 } });
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const handle = await start(taskQueue);
      const state = await handle.result();
      expect(state.status).toBe('exhausted');
      expect(state.attempts).toBe(2);
      expect(fake.sends.map((s) => s.step)).toEqual([1, 2]);
    });
  });

  it('honours an SMS opt-out: the SMS step goes by email, later steps are email-only', async () => {
    const fake = fakeActivities({ outcome: (channel) => (channel === 'sms' ? { status: 'skipped', reason: 'suppressed' } : { status: 'sent', providerId: 'm' }) });
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const state = await (await start(taskQueue)).result();
      expect(fake.sends.map((s) => `${s.step}:${s.channels.join('+')}`)).toEqual(['1:email', '2:sms', '2:email', '3:email', '4:email']);
      expect(state.disabledChannels).toEqual({ sms: 'suppressed' });
      expect(state.messages.find((m) => m.step === 2 && m.channel === 'email')?.fallbackFor).toBe('sms');
    });
  });

  it('falls back to email after a permanent SMS failure', async () => {
    const fake = fakeActivities({
      outcome: (channel) => (channel === 'sms' ? { status: 'failed', permanent: true, error: 'unreachable number' } : { status: 'sent', providerId: 'm' }),
    });
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const state = await (await start(taskQueue)).result();
      expect(fake.sends.map((s) => `${s.step}:${s.channels.join('+')}`)).toEqual(['1:email', '2:sms', '2:email', '3:email', '4:email']);
      expect(state.disabledChannels.sms).toMatch(/failed permanently/);
    });
  });

  it('uses email only when the customer has no phone', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const state = await (await start(taskQueue, { customer: { email: 'ada@example.test', timeZone: 'UTC' } })).result();
      expect(fake.sends.map((s) => `${s.step}:${s.channels.join('+')}`)).toEqual(['1:email', '2:email', '3:email', '4:email']);
      expect(state.attempts).toBe(4);
    });
  });
});

describe('Recovery workflow schedule changes', () => {
  it('applies a tenant schedule change to a running campaign (patched) from the next step on', async () => {
    let schedule: RecoverySchedule = DEFAULT_SCHEDULE;
    const fake = fakeActivities();
    fake.activities.loadSchedule = async () => schedule;
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const handle = await start(taskQueue);
      await env.sleep(HOUR);
      // The new schedule replaces +3 d email and +7 d email+SMS with one +2 d email.
      schedule = {
        ...DEFAULT_SCHEDULE,
        steps: [
          { offsetMinutes: 0, channels: ['email'] },
          { offsetMinutes: 24 * 60, channels: ['sms'] },
          { offsetMinutes: 2 * 24 * 60, channels: ['email'] },
        ],
      };
      const state = await handle.result();
      expect(relative(fake.sends, state.startedAtMs).map((s) => `${s.step}@${s.hours}h:${s.channels.join('+')}`)).toEqual([
        '1@0h:email',
        '2@24h:sms',
        '3@48h:email',
      ]);
      expect(state.status).toBe('expired');
      const history = await handle.fetchHistory();
      // New runs carry the patch marker; histories recorded before it (test/histories/recovery-*.json) do not and still replay.
      expect(history.events?.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toBe(true);
    });
  });
});

describe('Recovery workflow with the item’s own instrument', () => {
  const hostedPage = (overrides: Partial<PaymentLinkResult> = {}): PaymentLinkResult => ({
    url: 'https://invoice.stripe.test/i/acct_1/in_1',
    source: 'hosted_invoice_page',
    id: 'in_1',
    expiresAtMs: null,
    ...overrides,
  });

  it('sends nothing and ends paid when the item turns out settled before a step', async () => {
    const fake = fakeActivities({ link: (_now, step) => (step === 1 ? hostedPage() : hostedPage({ url: null, settled: true })) });
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const handle = await start(taskQueue);
      const state = await handle.result();
      expect(state.status).toBe('paid');
      expect(state.paidVia).toBe('detected');
      expect(fake.sends.map((s) => s.step)).toEqual([1]);
      expect(fake.releases).toEqual([]);
    });
  });

  it('waits for Stripe’s own retry of the invoice, and sends nothing when that retry succeeds', async () => {
    let retryAtMs = 0;
    let retrySucceeded = false;
    const fake = fakeActivities({
      link: (nowMs, step) => {
        if (step === 1) {
          // Stripe will retry 30 hours after the first step: the day-1 step (24 h) falls in the day before it.
          retryAtMs = nowMs + 30 * HOUR;
          return hostedPage({ nextPaymentAttemptMs: retryAtMs });
        }
        retrySucceeded = nowMs >= retryAtMs;
        return retrySucceeded ? hostedPage({ url: null, settled: true }) : hostedPage({ nextPaymentAttemptMs: retryAtMs });
      },
    });
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const handle = await start(taskQueue);
      await env.sleep(10 * HOUR);
      const waiting = await handle.query(recoveryStateQuery);
      expect(waiting.nextStep?.number).toBe(2);
      const state = await handle.result();
      expect(state.status).toBe('paid');
      expect(state.paidVia).toBe('detected');
      expect(retrySucceeded).toBe(true);
      // Only the first step went out; the day-1 step waited until an hour after Stripe's retry, then found it paid.
      expect(fake.sends.map((s) => s.step)).toEqual([1]);
      expect(state.paidAtMs! - retryAtMs).toBeGreaterThanOrEqual(HOUR - 1000);
      await recordHistory(env.client, handle.workflowId, 'recovery-waits-for-stripe-retry.json');
    });
  });

  it('sends a step held for Stripe’s retry an hour after it when the retry failed, with the same link', async () => {
    let retryAtMs = 0;
    const fake = fakeActivities({
      link: (nowMs, step) => {
        if (step === 1) retryAtMs = nowMs + 30 * HOUR;
        // After the retry failed Stripe schedules none soon.
        return hostedPage({ nextPaymentAttemptMs: nowMs < retryAtMs + HOUR ? retryAtMs : nowMs + 5 * DAY });
      },
    });
    await withWorker(fake.activities, async (taskQueue) => {
      await alignToUtc(12);
      const handle = await start(taskQueue);
      await env.sleep(40 * HOUR);
      const state = await handle.query(recoveryStateQuery);
      expect(fake.sends.map((s) => s.step)).toEqual([1, 2]);
      expect(fake.sends[1]!.atMs - retryAtMs).toBeGreaterThanOrEqual(HOUR - 1000);
      expect(state.lastPaymentUrl).toBe('https://invoice.stripe.test/i/acct_1/in_1');
      // Ended before the worker stops: a workflow left open with a task no worker takes would hold the shared
      // time-skipping server's clock, and the next test would wait for real time.
      const ended = await handle.executeUpdate(cancelRecoveryUpdate, { args: [{ reason: 'test over' }] });
      expect(ended.status).toBe('cancelled');
      await handle.result();
    });
  });

  it('records a step without a payable page as skipped, and releases a transaction’s link when the campaign ends unpaid', async () => {
    const fake = fakeActivities({
      schedule: { steps: [{ offsetMinutes: 0, channels: ['email'] }], quietHours: null, maxAttempts: 3, expiryDays: 2 },
      link: () => ({ url: null, source: 'transaction_payment_link', id: 'plink_1', expiresAtMs: null }),
    });
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue);
      const state = await handle.result();
      expect(state.status).toBe('expired');
      expect(fake.sends).toEqual([]);
      expect(state.messages.map((m) => `${m.step}:${m.channel}:${m.outcome.status}:${'reason' in m.outcome ? m.outcome.reason : ''}`)).toEqual([
        '1:email:skipped:no_payment_page',
      ]);
      expect(fake.releases).toEqual([`transaction:${state.item.ref}`]);
      await recordHistory(env.client, handle.workflowId, 'recovery-no-page-link-released.json');
    });
  });
});
