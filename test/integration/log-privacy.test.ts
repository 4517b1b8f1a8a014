/**
 * No personal data in the logs at info level: a recovery campaign that emails and texts a customer, with the
 * gateway's and the worker's pino loggers writing to a captured stream, leaves neither the customer's email
 * address, nor the phone number, nor the SMS text in any line; with Twilio configured (Prism behind a capturing
 * proxy) and without it (the "Twilio not configured" line). A card-like number in a request path is masked in the
 * request log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudonym } from '../../src/logger.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';
import { startCapturingProxy, startSmtpListener, type CapturedRequest, type SmtpListener } from '../helpers/message-capture.js';
import { getStack } from '../helpers/stack.js';

interface Capture {
  lines: string[];
  write(line: string): void;
  /** Lines at info and above. */
  infoAndAbove(): string[];
}

function captureStream(): Capture {
  const lines: string[] = [];
  return {
    lines,
    write: (line) => void lines.push(line),
    infoAndAbove: () => lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 30),
  };
}

const SCHEDULE = {
  steps: [{ offset_minutes: 0, channels: ['email', 'sms'] }],
  quiet_hours: null,
  max_attempts: 5,
  expiry_days: 14,
};

let smtp: SmtpListener;
let twilio: { url: string; requests: CapturedRequest[]; stop(): Promise<void> };

beforeAll(async () => {
  smtp = await startSmtpListener();
  twilio = await startCapturingProxy(getStack().twilioApiUrl);
});

afterAll(async () => {
  await twilio?.stop();
  await smtp?.stop();
});

async function startRecovery(app: TestApp, ref: string, email: string, phone: string): Promise<void> {
  expect((await api(app, 'PUT', '/v1/admin/recovery-schedule', { key: app.keys.t1Admin, body: SCHEDULE })).status).toBe(200);
  const created = await api(app, 'POST', '/v1/recoveries', {
    key: app.keys.t1Admin,
    headers: { origin: FRONTEND_ORIGIN },
    body: { transaction_reference: ref, amount: 1500, currency: 'usd', customer: { email, phone } },
  });
  expect(created.status).toBe(201);
  await waitFor(async () => (smtp.mails.some((mail) => JSON.stringify(mail.to).toLowerCase().includes(email.toLowerCase())) ? true : undefined), 'the email', 60_000);
}

function expectNoPersonalData(lines: string[], values: string[]): void {
  const text = lines.join('');
  for (const value of values) expect(text, `log output contains ${value}`).not.toContain(value);
  // Also not JSON-escaped or lower-cased.
  for (const value of values) expect(text.toLowerCase()).not.toContain(JSON.stringify(value).slice(1, -1).toLowerCase());
}

describe('logs at info level with Twilio configured', () => {
  const capture = captureStream();
  let app: TestApp;
  const email = 'Log.Privacy.One@example.com';
  const phone = '+15005550011';

  beforeAll(async () => {
    app = await createTestApp({ SMTP_URL: smtp.url, TWILIO_API_BASE_URL: twilio.url }, { logDestination: capture });
    await app.startWorker();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a recovery by email and SMS leaves no email, phone or SMS text in the gateway’s and worker’s lines', async () => {
    await startRecovery(app, 'log-privacy-1', email, phone);
    const sms = await waitFor(
      async () => twilio.requests.find((request) => request.method === 'POST' && request.form.To === phone),
      'the SMS',
      60_000,
    );
    const smsText = sms.form.Body!;
    expect(smsText.length).toBeGreaterThan(20);

    const lines = capture.infoAndAbove();
    expect(lines.some((line) => line.includes('"msg":"request"') && line.includes('/v1/recoveries'))).toBe(true);
    expectNoPersonalData(lines, [email, phone, phone.slice(1), smsText]);
  });

  it('masks a card-like number in the request path (and never logs the query)', async () => {
    const before = capture.lines.length;
    const response = await api(app, 'GET', '/v1/transactions/4242424242424242?pan=4111-1111-1111-1111', { key: app.keys.t1Admin });
    expect(response.status).toBe(404);
    const line = await waitFor(
      async () => capture.lines.slice(before).find((entry) => entry.includes('"msg":"request"') && entry.includes('/v1/transactions/')),
      'the request log line',
    );
    expect(JSON.parse(line)).toMatchObject({ method: 'GET', path: '/v1/transactions/[card-number]', status: 404 });
    expect(capture.lines.join('')).not.toContain('4242424242424242');
    expect(capture.lines.join('')).not.toContain('4111');
  });
});

describe('logs at info level without Twilio', () => {
  const capture = captureStream();
  let app: TestApp;
  const email = 'log.privacy.two@example.com';
  const phone = '+15005550012';

  beforeAll(async () => {
    // Debug is captured too, so the SMS text can be read from its debug line; only info and above are checked.
    app = await createTestApp(
      { SMTP_URL: smtp.url, TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TWILIO_FROM_NUMBER: '', LOG_LEVEL: 'debug' },
      { logDestination: capture },
    );
    await app.startWorker();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('the "Twilio not configured" line names the number only as a pseudonym and carries no SMS text', async () => {
    await startRecovery(app, 'log-privacy-2', email, phone);
    const notSent = await waitFor(async () => capture.lines.find((line) => line.includes('Twilio not configured')), 'the Twilio not configured line', 60_000);
    const parsed = JSON.parse(notSent) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: 30, name: 'worker', to: pseudonym(phone, 'phone') });
    expect(parsed.body).toBeUndefined();

    const debugText = capture.lines.map((line) => JSON.parse(line) as { level: number; msg: string; body?: string }).find((line) => line.msg === 'SMS text');
    const smsText = debugText?.body;
    expect(smsText).toEqual(expect.stringContaining('http'));

    expectNoPersonalData(capture.infoAndAbove(), [email, phone, phone.slice(1), smsText!]);
    // Not even at debug are the identifiers written in clear.
    expectNoPersonalData(capture.lines, [email, phone]);
  });
});
