/**
 * Nothing is stuck silently: a step whose retries ran out waits for an operator (NeedsAttention) instead of failing
 * its workflow, and events that cannot be routed yet are parked and replayed once their account is linked. Real
 * Temporal, PostgreSQL, stripe-mock behind a counting proxy, a real SMTP listener and Prism for SMS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoveryWorkflowId, topUpWorkflowId } from '../../src/temporal/workflow-ids.js';
import { releaseParkedEvents } from '../../src/webhooks/park.js';
import { parkedEventsStateQuery, parkedEventsWorkflowId } from '../../workflows/parked-events/messages.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';
import { startCapturingProxy, startSmtpListener, type CapturedRequest, type SmtpListener } from '../helpers/message-capture.js';
import { getStack } from '../helpers/stack.js';
import { checkoutSessionEvent, deliverStripeEvent, stripeFixture } from '../helpers/stripe-events.js';
import { startStripeProxy, type StripeProxy } from '../helpers/stripe-proxy.js';

let app: TestApp;
let smtp: SmtpListener;
let twilio: { url: string; requests: CapturedRequest[]; stop(): Promise<void> };
let proxy: StripeProxy;
let stripeRefusesPaymentLinks = false;

const mailsTo = (address: string) => smtp.mails.filter((mail) => JSON.stringify(mail.to).includes(address));

beforeAll(async () => {
  smtp = await startSmtpListener();
  twilio = await startCapturingProxy(getStack().twilioApiUrl);
  proxy = await startStripeProxy();
  proxy.answers.push((call) =>
    stripeRefusesPaymentLinks && call.method === 'POST' && call.path === '/v1/payment_links'
      ? // Refused at once (the SDK's own retries would stretch each attempt to ~1 s, and on a loaded machine the retry
        // deadline could then pass mid-attempt, when Temporal reports only its own timeout, not this error).
        { status: 500, headers: { 'stripe-should-retry': 'false' }, body: { error: { type: 'api_error', message: 'Stripe is having a bad day' } } }
      : undefined,
  );
  // Retries give up after 3 s here (3 days by default), so the operator's step comes within the test.
  app = await createTestApp({ ...proxy.env, SMTP_URL: smtp.url, TWILIO_API_BASE_URL: twilio.url, ACTIVITY_RETRY_BACKOFF: '200ms,1s', ACTIVITY_RETRY_MAX_ELAPSED: '3s' });
  // Every step right away, whatever the hour: no quiet hours.
  const schedule = { steps: [{ offset_minutes: 0, channels: ['email'] }], quiet_hours: null, max_attempts: 3, expiry_days: 14 };
  expect((await api(app, 'PUT', '/v1/admin/recovery-schedule', { key: app.keys.t1Admin, body: schedule })).status).toBe(200);
  await app.startWorker();
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
  await twilio?.stop();
  await smtp?.stop();
});

describe('operations: retries end in an operator step, unroutable events are parked', () => {
  it('a step that keeps failing waits for an operator, is listed for its tenant only, and goes on after a retry', async () => {
    stripeRefusesPaymentLinks = true;
    const ref = 'ops-stuck-1';
    const started = await api(app, 'POST', '/v1/recoveries', {
      key: app.keys.t1Admin,
      body: { transaction_reference: ref, amount: 1500, currency: 'usd', customer: { email: 'ops.stuck@example.com' } },
    });
    expect(started.status).toBe(201);
    const workflowId = recoveryWorkflowId('t1', `txn:${ref}`);

    const listed = await waitFor(async () => {
      const response = await api(app, 'GET', '/v1/admin/attention', { key: app.keys.t1Admin });
      return response.body.data.find((row: { workflow_id: string }) => row.workflow_id === workflowId);
    }, 'the campaign to wait for an operator');
    expect(listed).toMatchObject({
      workflow_id: workflowId,
      workflow_type: 'recoveryWorkflow',
      reason: 'retries_exhausted:sendStepWithLink',
      activity: 'sendStepWithLink',
      attempts: 1,
      skippable: false,
    });
    expect(listed.error).toContain('Stripe is having a bad day');
    const description = await app.temporal.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.searchAttributes).toMatchObject({ NeedsAttention: [true], AttentionReason: ['retries_exhausted:sendStepWithLink'] });
    expect(mailsTo('ops.stuck@example.com')).toEqual([]);

    // Another tenant neither sees nor touches it; a step that is not safe to skip cannot be skipped.
    expect((await api(app, 'GET', '/v1/admin/attention', { key: app.keys.t2Admin })).body.data).toEqual([]);
    expect((await api(app, 'POST', `/v1/admin/attention/${encodeURIComponent(workflowId)}/retry`, { key: app.keys.t2Admin, body: {} })).status).toBe(404);
    expect((await api(app, 'POST', `/v1/admin/attention/${encodeURIComponent(workflowId)}/retry`, { key: app.keys.t1Member, body: {} })).status).toBe(403);
    const skip = await api(app, 'POST', `/v1/admin/attention/${encodeURIComponent(workflowId)}/skip`, { key: app.keys.t1Admin, body: {} });
    expect(skip.status).toBe(409);
    expect(skip.body.code).toBe('not_skippable');

    stripeRefusesPaymentLinks = false;
    const retried = await api(app, 'POST', `/v1/admin/attention/${encodeURIComponent(workflowId)}/retry`, { key: app.keys.t1Admin, body: {} });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual({ workflow_id: workflowId, action: 'retry', activity: 'sendStepWithLink' });

    const [mail] = await waitFor(async () => (mailsTo('ops.stuck@example.com').length > 0 ? mailsTo('ops.stuck@example.com') : undefined), 'the email after the retry');
    expect(mail!.text).toContain(stripeFixture('payment_link').url);
    await waitFor(async () => {
      const response = await api(app, 'GET', '/v1/admin/attention', { key: app.keys.t1Admin });
      return response.body.data.some((row: { workflow_id: string }) => row.workflow_id === workflowId) ? undefined : true;
    }, 'the campaign to leave the attention list');
    const again = await api(app, 'POST', `/v1/admin/attention/${encodeURIComponent(workflowId)}/retry`, { key: app.keys.t1Admin, body: {} });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('nothing_waiting');
  });

  it('an event from an account not linked yet is parked, then replayed once when the account is linked', async () => {
    const account = 'acct_ops_later_t2';
    const created = await api(app, 'POST', '/v1/credits/top-ups', { key: app.keys.t2Admin, body: { amount: 700, currency: 'usd' }, headers: { origin: FRONTEND_ORIGIN } });
    expect(created.status).toBe(201);
    const event = checkoutSessionEvent(
      'checkout.session.completed',
      { id: created.body.checkout_session_id, tenantId: 't2', topUpId: created.body.id, amountTotal: 700, currency: 'usd' },
      { account },
    );
    proxy.answers.push((call) => (call.method === 'GET' && call.path === `/v1/events/${event.id}` ? { status: 200, body: event } : undefined));

    for (let delivery = 0; delivery < 2; delivery++) {
      const parked = await deliverStripeEvent(app, event);
      expect(parked.body).toMatchObject({ status: 'parked', workflowId: parkedEventsWorkflowId(account) });
    }
    const holding = app.temporal.workflow.getHandle(parkedEventsWorkflowId(account));
    const held = await holding.query(parkedEventsStateQuery);
    expect(held).toMatchObject({ account, status: 'holding', dropped: 0, held: [{ eventId: event.id, type: 'checkout.session.completed', reason: 'unlinked_account' }] });
    expect((await holding.describe()).searchAttributes).toMatchObject({ NeedsAttention: [true], AttentionReason: ['parked_unlinked_account'] });
    await expect(app.temporal.workflow.getHandle(topUpWorkflowId('t2', created.body.id)).query('state')).resolves.toMatchObject({ status: 'pending' });

    await app.db.updateTable('tenants').set({ stripe_account_id: account }).where('id', '=', 't2').execute();
    expect(await releaseParkedEvents(app.temporal, account, 't2')).toBe('signalled');
    const released = await holding.result();
    expect(released).toMatchObject({ status: 'released', held: [], replays: [{ replayed: 1, routed: 1, ignored: 0, missing: 0 }] });
    const replayRead = proxy.calls.filter((call) => call.path === `/v1/events/${event.id}`);
    expect(replayRead.map((call) => call.account)).toEqual([account]);

    await waitFor(async () => {
      const topUp = await api(app, 'GET', `/v1/credits/top-ups/${created.body.id}`, { key: app.keys.t2Admin });
      return topUp.body.status === 'credited' ? true : undefined;
    }, 'the parked top-up to be credited');
    const ledger = await api(app, 'GET', '/v1/credits/ledger', { key: app.keys.t2Admin });
    expect(ledger.body.data.map((entry: { kind: string; amount: number }) => [entry.kind, entry.amount])).toEqual([['top_up', 700]]);
    expect(await releaseParkedEvents(app.temporal, 'acct_nothing_parked', 't2')).toBe('nothing_parked');
  });
});
