import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestApp, waitFor, type TestApp } from '../helpers/app-context.js';

/**
 * Campaigns through the API with a real worker, PostgreSQL and stripe-mock. The worker here has no messaging
 * layer wired, so sends are recorded as failed ('messaging not configured'); delivery is covered by the
 * messaging layer's own tests and the workflow tests.
 */
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
  await app.startWorker();
  // The default schedule without quiet hours, so the first step goes out now whatever the wall-clock time.
  const schedule = {
    steps: [
      { offset_minutes: 0, channels: ['email'] },
      { offset_minutes: 1440, channels: ['sms'] },
      { offset_minutes: 4320, channels: ['email'] },
      { offset_minutes: 10080, channels: ['email', 'sms'] },
    ],
    quiet_hours: null,
    max_attempts: 10,
    expiry_days: 14,
  };
  const saved = await api(app, 'PUT', '/v1/admin/recovery-schedule', { key: app.keys.t1Admin, body: schedule });
  if (saved.status !== 200) throw new Error(`schedule not saved: ${JSON.stringify(saved.body)}`);
});

afterAll(async () => {
  await app?.close();
});

const create = (reference: string, key = app.keys.t1Admin) =>
  api(app, 'POST', '/v1/recoveries', {
    key,
    body: {
      transaction_reference: reference,
      amount: 4200,
      currency: 'USD',
      customer: { email: 'ada@example.test', phone: '+15555550100', time_zone: 'Europe/Berlin', id: 'cust_1' },
      metadata: { order_number: 'A-1' },
    },
  });

describe('recovery campaigns API', () => {
  it('creates a campaign (idempotent by reference) with a row and a running workflow', async () => {
    const first = await create('ref-1');
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: 'txn:ref-1' });
    expect((await create('ref-1')).body).toEqual({ id: 'txn:ref-1' });

    const detail = await waitFor(async () => {
      const response = await api(app, 'GET', '/v1/recoveries/txn:ref-1', { key: app.keys.t1Admin });
      // The step is counted before the next one is planned: wait for both, or the query may land in between.
      return response.status === 200 && response.body.live && response.body.attempts >= 1 && response.body.next_step ? response.body : undefined;
    }, 'campaign with its first step sent and the next planned');
    expect(detail).toMatchObject({ id: 'txn:ref-1', item_kind: 'transaction', amount: 4200, currency: 'usd', metadata: { order_number: 'A-1' } });
    expect(detail.messages[0]).toMatchObject({ step: 1, channel: 'email' });
    expect(detail.next_step).toMatchObject({ number: 2, channels: ['sms'] });

    const list = await api(app, 'GET', '/v1/recoveries?customer=ADA@example.test', { key: app.keys.t1Admin });
    expect(list.body.data.map((c: any) => c.id)).toContain('txn:ref-1');
    const workflow = await app.temporal.workflow.getHandle('recovery:t1:txn:ref-1').describe();
    expect(workflow.status.name).toBe('RUNNING');
  });

  it('validates input and keeps other tenants out', async () => {
    const invalid = await api(app, 'POST', '/v1/recoveries', {
      key: app.keys.t1Admin,
      body: { transaction_reference: 'x', amount: 10, currency: 'usd', customer: { time_zone: 'Mars/Base' } },
    });
    expect(invalid.status).toBe(400);
    expect((await api(app, 'GET', '/v1/recoveries/txn:ref-1', { key: app.keys.t2Admin })).status).toBe(404);
    expect((await api(app, 'POST', '/v1/recoveries/txn:ref-1/pause', { key: app.keys.t2Admin, body: {} })).status).toBe(404);
    expect((await api(app, 'POST', '/v1/recoveries/txn:ref-1/pause', { key: app.keys.t1Member, body: {} })).status).toBe(403);
  });

  it('pauses, resumes and cancels over HTTP; invalid transitions are 409 with a code', async () => {
    await create('ref-2');
    await waitFor(async () => ((await api(app, 'GET', '/v1/recoveries/txn:ref-2', { key: app.keys.t1Admin })).status === 200 ? true : undefined), 'row');

    const resumeActive = await api(app, 'POST', '/v1/recoveries/txn:ref-2/resume', { key: app.keys.t1Admin, body: {} });
    expect(resumeActive.status).toBe(409);
    expect(resumeActive.body.code).toBe('campaign_active');

    const paused = await api(app, 'POST', '/v1/recoveries/txn:ref-2/pause', { key: app.keys.t1Admin, body: {} });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', next_step: null });
    const row = await api(app, 'GET', '/v1/recoveries?status=paused', { key: app.keys.t1Admin });
    expect(row.body.data.map((c: any) => c.id)).toEqual(['txn:ref-2']);

    const pastSnooze = await api(app, 'POST', '/v1/recoveries/txn:ref-2/snooze', { key: app.keys.t1Admin, body: { until: '2020-01-01T00:00:00Z' } });
    expect(pastSnooze.status).toBe(400);

    const resumed = await api(app, 'POST', '/v1/recoveries/txn:ref-2/resume', { key: app.keys.t1Admin, body: {} });
    expect(resumed.body.status).toBe('active');

    const cancelled = await api(app, 'POST', '/v1/recoveries/txn:ref-2/cancel', { key: app.keys.t1Admin, body: { reason: 'disputed' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await waitFor(async () => ((await app.temporal.workflow.getHandle('recovery:t1:txn:ref-2').describe()).status.name === 'COMPLETED' ? true : undefined), 'closed');
    const again = await api(app, 'POST', '/v1/recoveries/txn:ref-2/resume', { key: app.keys.t1Admin, body: {} });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('campaign_cancelled');
    expect((await create('ref-2')).status).toBe(409);
  });

  it('stores a validated tenant schedule', async () => {
    const before = await api(app, 'GET', '/v1/admin/recovery-schedule', { key: app.keys.t2Admin });
    expect(before.body).toMatchObject({ custom: false, expiry_days: 14, quiet_hours: { start: '21:00', end: '08:00' } });
    const bad = await api(app, 'PUT', '/v1/admin/recovery-schedule', {
      key: app.keys.t1Admin,
      body: { steps: [{ offset_minutes: 60, channels: ['email'] }, { offset_minutes: 0, channels: ['sms'] }], quiet_hours: null, max_attempts: 3, expiry_days: 5 },
    });
    expect(bad.status).toBe(400);
    const schedule = { steps: [{ offset_minutes: 0, channels: ['email'] }, { offset_minutes: 2880, channels: ['email', 'sms'] }], quiet_hours: null, max_attempts: 3, expiry_days: 5 };
    expect((await api(app, 'PUT', '/v1/admin/recovery-schedule', { key: app.keys.t1Admin, body: schedule })).status).toBe(200);
    expect((await api(app, 'GET', '/v1/admin/recovery-schedule', { key: app.keys.t1Admin })).body).toMatchObject({ ...schedule, custom: true });
    expect((await api(app, 'PUT', '/v1/admin/recovery-schedule', { key: app.keys.t1Member, body: schedule })).status).toBe(403);
  });
});
