import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { findCampaign } from '../../src/db/recovery-campaigns.js';
import { insertTopUp } from '../../src/db/top-ups.js';
import { startRecoveryCampaign } from '../../src/recovery/start.js';
import { retryScheduleFromConfig } from '../../src/temporal/retry.js';
import { topUpWorkflowId } from '../../src/temporal/workflow-ids.js';
import type { RecoveryState } from '../../workflows/recovery/messages.js';
import { checkoutSessionEventSignal, topUpStateQuery } from '../../workflows/top-up/messages.js';
import { topUpWorkflow } from '../../workflows/top-up/workflow.js';
import { type TestApp, useTestApp } from '../helpers/app-context.js';

/**
 * Issue 10: a poison input (a NUL byte PostgreSQL refuses) must not leave a workflow retrying an activity forever.
 * Real PostgreSQL and Temporal; the gateway is bypassed, so the workflows are safe on their own.
 */
let app: TestApp;
useTestApp((started) => (app = started));

function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} not reached within ${ms} ms`)), ms))]);
}

/** Every activity ran once: nothing was retried, and nothing is pending a retry. */
async function expectNoRetries(handle: WorkflowHandle): Promise<void> {
  const description = await handle.describe();
  const pending = description.raw.pendingActivities ?? [];
  expect(pending.filter((activity) => (activity.attempt ?? 1) > 1)).toEqual([]);
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? []).filter((event) => event.activityTaskStartedEventAttributes).map((event) => event.activityTaskStartedEventAttributes!.attempt);
  expect(attempts.length).toBeGreaterThan(0);
  expect(attempts.every((attempt) => attempt === 1)).toBe(true);
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('poison input', () => {
  it('a recovery campaign whose metadata PostgreSQL cannot store ends cancelled within seconds, not retrying', async () => {
    const started = await startRecoveryCampaign(
      app.temporal,
      { taskQueue: app.config.TEMPORAL_TASK_QUEUE, retry: retryScheduleFromConfig(app.config), successUrl: 'https://example.com/paid' },
      {
        tenantId: 't1',
        item: { kind: 'invoice', ref: 'inv_poison_metadata' },
        amount: 2500,
        currency: 'EUR',
        customer: { email: 'ada@example.com', name: 'Ada' },
        metadata: { k: 'v\u0000' },
      },
    );
    expect(started.outcome).toBe('running');
    const handle = app.temporal.workflow.getHandle(started.workflowId);
    const state = (await within(15_000, handle.result(), 'a final campaign state')) as RecoveryState;

    expect(state.status).toBe('cancelled');
    expect(state.cancelReason).toMatch(/^invalid input: DatabaseDataError: recordCampaign: PostgreSQL \w+ \(SQLSTATE 22\w{3}\)/);
    expect(state.cancelReason).not.toContain('v\u0000');
    expect(state.messages).toEqual([]);
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.searchAttributes.CampaignStatus).toEqual(['cancelled']);
    await expectNoRetries(handle);
    // No row was written: the campaign never started.
    expect(await findCampaign(app.db, 't1', started.campaignId)).toBeUndefined();
  });

  it('a top-up event carrying a string PostgreSQL refuses is logged as rejected; the next event still credits it', async () => {
    const topUpId = 'tu_poison_event';
    await insertTopUp(app.db, { tenantId: 't1', id: topUpId, accountId: 'acct_poison', amount: 500, currency: 'usd' });
    const handle = await app.temporal.workflow.start(topUpWorkflow, {
      workflowId: topUpWorkflowId('t1', topUpId),
      taskQueue: app.config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId: 't1', topUpId, accountId: 'acct_poison', retry: retryScheduleFromConfig(app.config) }],
    });
    await handle.signal(checkoutSessionEventSignal, {
      eventId: 'evt_poison',
      type: 'checkout.session.completed',
      sessionId: 'cs_poison',
      paymentStatus: 'paid',
      amountTotal: 500,
      currency: 'usd\u0000',
    });
    const rejected = await waitFor(
      async () => (await handle.query(topUpStateQuery)).eventLog.find((entry) => entry.eventId === 'evt_poison'),
      15_000,
      'the poison event outcome',
    );
    expect(rejected.outcome).toMatch(/^rejected: DatabaseDataError: creditTopUp: PostgreSQL \w+ \(SQLSTATE 22\w{3}\)/);
    expect((await handle.query(topUpStateQuery)).status).toBe('pending');
    await expectNoRetries(handle);

    await handle.signal(checkoutSessionEventSignal, {
      eventId: 'evt_good',
      type: 'checkout.session.completed',
      sessionId: 'cs_good',
      paymentStatus: 'paid',
      amountTotal: 500,
      currency: 'usd',
    });
    const state = await within(15_000, handle.result(), 'the credited top-up');
    expect(state.status).toBe('credited');
    expect(state.eventLog.map((entry) => [entry.eventId, entry.outcome.split(':')[0]])).toEqual([
      ['evt_poison', 'rejected'],
      ['evt_good', 'credited'],
    ]);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    await expectNoRetries(handle);
  });
});
