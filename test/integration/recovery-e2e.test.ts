/**
 * Payment recovery end to end on real components: Temporal, PostgreSQL, stripe-mock, a real SMTP listener and
 * the Twilio API mock (Prism, behind a capturing proxy). An overdue invoice starts a campaign, the customer gets
 * an email and an SMS carrying the payment link, pays through it (signed webhook), and nothing is sent after.
 * Then a worker is killed between sending and recording: after the restart there is still exactly one message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { recoveryWorkflowId } from '../../src/temporal/workflow-ids.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';
import { startCapturingProxy, startSmtpListener, type CapturedRequest, type SmtpListener } from '../helpers/message-capture.js';
import { getStack } from '../helpers/stack.js';
import { signatureFor, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';

let app: TestApp;
let smtp: SmtpListener;
let twilio: { url: string; requests: CapturedRequest[]; stop(): Promise<void> };
let child: ChildProcess | undefined;

const mailsTo = (address: string) => smtp.mails.filter((mail) => JSON.stringify(mail.to).includes(address));
const smsTo = (phone: string) => twilio.requests.filter((request) => request.method === 'POST' && request.form.To === phone);

async function deliver(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  const response = await api(app, 'POST', '/v1/webhooks/stripe', {
    rawBody: payload,
    headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
  });
  expect(response.status).toBe(200);
  return response;
}

function stripeInvoice(id: string, status: 'open' | 'paid', overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    ...stripeFixture('invoice'),
    id,
    status,
    customer: 'cus_e2e_recovery',
    customer_email: 'ada.recovery@example.com',
    customer_phone: '+15005550006',
    customer_name: 'Ada Lovelace',
    amount_due: 4200,
    amount_paid: status === 'paid' ? 4200 : 0,
    amount_remaining: status === 'paid' ? 0 : 4200,
    currency: 'usd',
    due_date: now + 7 * 86400,
    metadata: { tenant_id: 't1' },
    parent: null,
    status_transitions: { finalized_at: now - 60, paid_at: status === 'paid' ? now : null, voided_at: null, marked_uncollectible_at: null },
    ...overrides,
  };
}

beforeAll(async () => {
  smtp = await startSmtpListener();
  twilio = await startCapturingProxy(getStack().twilioApiUrl);
  app = await createTestApp({ SMTP_URL: smtp.url, TWILIO_API_BASE_URL: twilio.url });
  // First step at once on both channels; the next one an hour later, so any message after the payment would show.
  const schedule = {
    steps: [
      { offset_minutes: 0, channels: ['email', 'sms'] },
      { offset_minutes: 60, channels: ['email'] },
    ],
    quiet_hours: null,
    max_attempts: 5,
    expiry_days: 14,
  };
  const saved = await api(app, 'PUT', '/v1/admin/recovery-schedule', { key: app.keys.t1Admin, body: schedule });
  expect(saved.status).toBe(200);
  await app.startWorker();
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await app?.close();
  await twilio?.stop();
  await smtp?.stop();
});

describe('payment recovery end to end', () => {
  it('overdue invoice → campaign → email and SMS with the payment link → signed payment webhook → completed, nothing sent after', async () => {
    await deliver(stripeEvent('invoice.finalized', stripeInvoice('in_e2e_recovery', 'open')));
    await deliver(stripeEvent('invoice.payment_failed', stripeInvoice('in_e2e_recovery', 'open', { attempt_count: 1 })));

    const workflowId = recoveryWorkflowId('t1', 'invoice:in_e2e_recovery');
    const [email] = await waitFor(async () => (mailsTo('ada.recovery@example.com').length > 0 ? mailsTo('ada.recovery@example.com') : undefined), 'the recovery email');
    const [sms] = await waitFor(async () => (smsTo('+15005550006').length > 0 ? smsTo('+15005550006') : undefined), 'the recovery SMS');

    const paymentUrl = /https:\/\/checkout\.stripe\.com\/\S+/.exec(sms!.form.Body ?? '')?.[0];
    expect(paymentUrl).toBeTruthy();
    expect(email!.subject).toBeTruthy();
    expect(email!.html).toContain(paymentUrl);
    expect(email!.text).toContain(paymentUrl);
    expect(email!.text).toContain('42.00 USD');
    expect(sms!.form.From ?? sms!.form.MessagingServiceSid).toBeTruthy();
    const running = await api(app, 'GET', '/v1/recoveries/invoice:in_e2e_recovery', { key: app.keys.t1Admin });
    expect(running.body).toMatchObject({ status: 'active', item_kind: 'invoice', amount: 4200, customer: { email: 'ada.recovery@example.com', phone: '+15005550006' } });

    const session = {
      ...stripeFixture('checkout.session'),
      id: 'cs_test_recovery_e2e',
      status: 'complete',
      payment_status: 'paid',
      amount_total: 4200,
      currency: 'usd',
      metadata: { purpose: 'recovery', tenant_id: 't1', campaign_id: 'invoice:in_e2e_recovery', item_kind: 'invoice', item_ref: 'in_e2e_recovery', step: '1' },
    };
    const paid = await deliver(stripeEvent('checkout.session.completed', session));
    expect(paid.body).toMatchObject({ status: 'routed', workflowId });

    const final = await waitFor(async () => {
      const description = await app.temporal.workflow.getHandle(workflowId).describe();
      return description.status.name === 'COMPLETED' ? description : undefined;
    }, 'the campaign to complete');
    expect(final.searchAttributes).toMatchObject({ TenantId: ['t1'], CampaignStatus: ['paid'] });
    const row = await api(app, 'GET', '/v1/recoveries/invoice:in_e2e_recovery', { key: app.keys.t1Admin });
    expect(row.body).toMatchObject({ status: 'paid', recovered_amount: 4200 });

    // The workflow is closed: the one-hour step can never run. Still, nothing else went out meanwhile.
    expect(mailsTo('ada.recovery@example.com')).toHaveLength(1);
    expect(smsTo('+15005550006')).toHaveLength(1);
  });

  it('a worker killed between sending and recording leaves exactly one message after the restart', async () => {
    await app.stopWorker();
    smtp.hold = true;
    child = spawnWorker();

    const created = await api(app, 'POST', '/v1/recoveries', {
      key: app.keys.t1Admin,
      headers: { origin: FRONTEND_ORIGIN },
      body: { transaction_reference: 'crash-test-1', amount: 1500, currency: 'usd', customer: { email: 'crash.test@example.com' } },
    });
    expect(created.status).toBe(201);

    // The SMTP server has the message but has not acknowledged it: the worker dies before it can record "sent".
    await waitFor(async () => (mailsTo('crash.test@example.com').length === 1 ? true : undefined), 'the first send', 60_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    smtp.release();
    smtp.hold = false;

    await app.startWorker();
    // The activity is retried once its start-to-close timeout lapses; it finds the claimed row and does not resend.
    const campaign = await waitFor(
      async () => {
        const response = await api(app, 'GET', `/v1/recoveries/${created.body.id}`, { key: app.keys.t1Admin });
        return response.body.messages?.some((message: { step: number }) => message.step === 1) ? response.body : undefined;
      },
      'the retried step to settle',
      90_000,
    );
    expect(campaign.messages.filter((message: { step: number; channel: string }) => message.step === 1 && message.channel === 'email')).toEqual([
      expect.objectContaining({ status: 'skipped', reason: 'possibly_sent' }),
    ]);
    expect(mailsTo('crash.test@example.com')).toHaveLength(1);
  });
});

/** The production worker entry point in its own process, so it can be killed for real. */
function spawnWorker(): ChildProcess {
  const stack = getStack();
  const worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...stack.env,
      DATABASE_URL: app.config.DATABASE_URL,
      TEMPORAL_TASK_QUEUE: app.config.TEMPORAL_TASK_QUEUE,
      SMTP_URL: smtp.url,
      TWILIO_API_BASE_URL: twilio.url,
      ACTIVITY_RETRY_BACKOFF: '1s,2s,5s',
      LOG_LEVEL: 'warn',
      ...(stack.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath } : {}),
    },
    stdio: 'ignore',
  });
  return worker;
}
