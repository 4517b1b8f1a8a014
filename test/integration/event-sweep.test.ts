import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_ACCOUNT } from '../../src/db/event-cursors.js';
import { deleteEventSweepSchedule, ensureEventSweepSchedule, sweepScheduleOptions } from '../../src/temporal/event-sweep-schedules.js';
import { retryScheduleFromConfig } from '../../src/temporal/retry.js';
import { EVENT_SWEEP_WORKFLOW_TYPE, eventSweepScheduleId, type EventSweepWorkflow } from '../../workflows/event-sweep/messages.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';
import { checkoutSessionEvent } from '../helpers/stripe-events.js';
import { startStripeProxy, type StripeProxy } from '../helpers/stripe-proxy.js';

let proxy: StripeProxy;
let app: TestApp;

beforeAll(async () => {
  proxy = await startStripeProxy();
  app = await createTestApp(proxy.env);
  await app.startWorker();
});

afterAll(async () => {
  await deleteEventSweepSchedule(app.temporal, app.config.TEMPORAL_TASK_QUEUE, PLATFORM_ACCOUNT);
  await app?.close();
  await proxy?.close();
});

/** Stripe's events.list for the platform account, as a local stand-in (stripe-mock answers a canned list). */
function stripeListsEvents(events: Array<Record<string, unknown>>): void {
  proxy.answers.push((call) =>
    call.method === 'GET' && call.path === '/v1/events' ? { status: 200, body: { object: 'list', url: '/v1/events', has_more: false, data: events } } : undefined,
  );
}

async function sweepOnce(runId: string) {
  return app.temporal.workflow.execute<EventSweepWorkflow>(EVENT_SWEEP_WORKFLOW_TYPE, {
    workflowId: `${eventSweepScheduleId(app.config.TEMPORAL_TASK_QUEUE, PLATFORM_ACCOUNT)}-test-${runId}`,
    taskQueue: app.config.TEMPORAL_TASK_QUEUE,
    args: [{ account: PLATFORM_ACCOUNT, initialLookbackSeconds: 3600, retry: retryScheduleFromConfig(app.config) }],
  });
}

describe('missed Stripe events are found by a scheduled sweep (real Temporal, PostgreSQL, stripe-mock behind a proxy)', () => {
  it('has one schedule per account, created once, hourly by default, one sweep at a time', async () => {
    const options = sweepScheduleOptions(app.config, PLATFORM_ACCOUNT);
    expect(await ensureEventSweepSchedule(app.temporal, options)).toBe('created');
    expect(await ensureEventSweepSchedule(app.temporal, options)).toBe('exists');
    const described = await app.temporal.schedule.getHandle(eventSweepScheduleId(app.config.TEMPORAL_TASK_QUEUE, PLATFORM_ACCOUNT)).describe();
    expect(described.spec.intervals).toMatchObject([{ every: 3_600_000 }]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: EVENT_SWEEP_WORKFLOW_TYPE, taskQueue: app.config.TEMPORAL_TASK_QUEUE });
    expect(described.policies.overlap).toBe('SKIP');
  });

  it('applies an event that was never delivered exactly once; a second sweep applies nothing', async () => {
    const created = await api(app, 'POST', '/v1/credits/top-ups', { key: app.keys.t1Admin, body: { amount: 2500, currency: 'usd' }, headers: { origin: FRONTEND_ORIGIN } });
    expect(created.status).toBe(201);
    const neverDelivered = checkoutSessionEvent(
      'checkout.session.completed',
      { id: created.body.checkout_session_id, tenantId: 't1', topUpId: created.body.id, amountTotal: 2500, currency: 'usd' },
      { created: Math.floor(Date.now() / 1000) - 60 },
    );
    stripeListsEvents([neverDelivered]);

    expect(await sweepOnce('1')).toEqual({ listed: 1, dispatched: 1, routed: 1, ignored: 0 });
    const listCall = proxy.calls.find((call) => call.path === '/v1/events')!;
    expect(listCall.account).toBeUndefined();
    await waitFor(async () => {
      const topUp = await api(app, 'GET', `/v1/credits/top-ups/${created.body.id}`, { key: app.keys.t1Admin });
      return topUp.body.status === 'credited' ? true : undefined;
    }, 'the missed top-up credited');

    expect(await sweepOnce('2')).toEqual({ listed: 1, dispatched: 0, routed: 0, ignored: 0 });
    const ledger = await api(app, 'GET', '/v1/credits/ledger', { key: app.keys.t1Admin });
    expect(ledger.body.data.map((entry: { kind: string; amount: number }) => [entry.kind, entry.amount])).toEqual([['top_up', 2500]]);
  });
});
