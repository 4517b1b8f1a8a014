/**
 * Payment recovery on real components: Temporal, PostgreSQL, stripe-mock, a real SMTP listener and the Twilio API
 * mock (Prism, behind a capturing proxy). A worker is killed between sending and recording: after the restart
 * there is still exactly one message. (Each item kind's campaign, from overdue to paid, is in
 * recovery-settlement.test.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';
import { startCapturingProxy, startSmtpListener, type CapturedRequest, type SmtpListener } from '../helpers/message-capture.js';
import { getStack } from '../helpers/stack.js';

let app: TestApp;
let smtp: SmtpListener;
let twilio: { url: string; requests: CapturedRequest[]; stop(): Promise<void> };
let child: ChildProcess | undefined;

const mailsTo = (address: string) => smtp.mails.filter((mail) => JSON.stringify(mail.to).includes(address));

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
