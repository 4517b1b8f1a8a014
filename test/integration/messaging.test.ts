/**
 * The messaging layer end to end: a real SMTP listener (smtp-server + mailparser) receives the recovery emails,
 * SMS go through the Twilio SDK to Prism (the Twilio API mock from Twilio's OpenAPI document) behind a small
 * capturing proxy, and the gateway's Twilio webhooks and unsubscribe pages run in the test app.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { beginHandoff, claimMessage, listMessagesForCampaign, markMessage } from '../../src/db/messages.js';
import { isSuppressed, suppress } from '../../src/db/suppressions.js';
import { createMailer, type Mailer } from '../../src/messaging/email.js';
import { unsubscribeUrl } from '../../src/messaging/links.js';
import { MessageSendError, sendRecoveryMessage, type SendDeps } from '../../src/messaging/send.js';
import { createSmsSender, type SmsSender } from '../../src/messaging/sms.js';
import type { MessageKey, RecoveryMessageData } from '../../src/domain/messaging/contracts.js';
import { createTestApp, type TestApp } from '../helpers/app-context.js';
import { startCapturingProxy, startSmtpListener, type SmtpListener } from '../helpers/message-capture.js';


const data = (overrides: Partial<RecoveryMessageData> = {}): RecoveryMessageData => ({
  tenantName: 'Tenant one',
  customerName: 'Ada',
  amount: 1234,
  currency: 'usd',
  dueDate: '2026-03-15',
  paymentUrl: 'https://pay.example.com/c/abc123',
  unsubscribeUrl: 'https://payments.example.com/v1/messages/unsubscribe?token=t',
  step: 1,
  ...overrides,
});

const notPaid = { isItemPaid: async () => false };

let app: TestApp;
let smtp: SmtpListener;
let proxy: Awaited<ReturnType<typeof startCapturingProxy>>;
let mailer: Mailer;
let sms: SmsSender;
let deps: SendDeps;
let campaignCounter = 0;
const newCampaign = () => `camp_${Date.now()}_${++campaignCounter}`;
const key = (campaignId: string, channel: 'email' | 'sms' = 'email', step = 1): MessageKey => ({ tenantId: 't1', campaignId, step, channel });

beforeAll(async () => {
  app = await createTestApp();
  smtp = await startSmtpListener();
  proxy = await startCapturingProxy(app.config.TWILIO_API_BASE_URL!);
  mailer = createMailer({ SMTP_URL: smtp.url, MAIL_FROM: 'Payments <billing@payments.example.com>' });
  sms = createSmsSender({ ...app.config, TWILIO_API_BASE_URL: proxy.url });
  deps = { db: app.db, mailer, sms, config: app.config };
});

afterAll(async () => {
  mailer?.close();
  await smtp?.stop();
  await proxy?.stop();
  await app?.close();
});

beforeEach(() => {
  smtp.mails.length = 0;
  proxy.requests.length = 0;
});

describe('email', () => {
  it('sends a rendered recovery email over SMTP, once per campaign step', async () => {
    const campaign = newCampaign();
    const outcome = await sendRecoveryMessage(deps, key(campaign), 'Ada@Example.com', data(), notPaid);
    expect(outcome).toMatchObject({ status: 'sent' });
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.subject).toBe('Payment of 12.34 USD to Tenant one is due');
    expect(mail.html).toContain('href="https://pay.example.com/c/abc123"');
    expect(mail.html).toContain('12.34 USD');
    expect(mail.html).toContain('15 March 2026');
    expect(mail.text).toContain('https://pay.example.com/c/abc123');
    expect(mail.text).toContain('12.34 USD');
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toContain('<https://payments.example.com/v1/messages/unsubscribe?token=t>');
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toContain('List-Unsubscribe=One-Click');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined).toBe('ada@example.com');
    const [row] = await listMessagesForCampaign(app.db, 't1', campaign);
    expect(row).toMatchObject({ status: 'sent', recipient: 'ada@example.com', channel: 'email', step: 1 });
    expect(row!.providerId).toBe(mail.messageId);
    if (outcome.status === 'sent') expect(outcome.providerId).toBe(mail.messageId);

    const again = await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid);
    expect(again).toEqual({ status: 'skipped', reason: 'already_sent' });
    expect(smtp.mails).toHaveLength(1);
  });

  it('never resends after a crash between sending and recording: possibly_sent', async () => {
    const campaign = newCampaign();
    // What a worker that died after starting the hand-off to SMTP (and maybe sending) leaves behind.
    const claim = await claimMessage(app.db, key(campaign), 'ada@example.com');
    if (!claim.claimed) throw new Error('expected a fresh claim');
    expect(await beginHandoff(app.db, claim)).toBe(true);
    const outcome = await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid);
    expect(outcome).toEqual({ status: 'skipped', reason: 'possibly_sent' });
    expect(smtp.mails).toHaveLength(0);
    expect((await listMessagesForCampaign(app.db, 't1', campaign))[0]).toMatchObject({ status: 'possibly_sent' });
    expect(await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid)).toEqual({ status: 'skipped', reason: 'possibly_sent' });
    expect(smtp.mails).toHaveLength(0);
  });

  it('skips suppressed addresses without writing a message row', async () => {
    const campaign = newCampaign();
    await suppress(app.db, 't1', 'email', ' Suppressed@Example.com ', 'unsubscribe');
    const outcome = await sendRecoveryMessage(deps, key(campaign), 'suppressed@example.com', data(), notPaid);
    expect(outcome).toEqual({ status: 'skipped', reason: 'suppressed' });
    expect(smtp.mails).toHaveLength(0);
    expect(await listMessagesForCampaign(app.db, 't1', campaign)).toEqual([]);
    // Per tenant: t2 may still write to the address.
    expect(await isSuppressed(app.db, 't2', 'email', 'suppressed@example.com')).toBe(false);
  });

  it('sends nothing when the item was paid, and releases the step', async () => {
    const campaign = newCampaign();
    const outcome = await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), { isItemPaid: async () => true });
    expect(outcome).toEqual({ status: 'skipped', reason: 'item_paid' });
    expect(smtp.mails).toHaveLength(0);
    expect(await listMessagesForCampaign(app.db, 't1', campaign)).toEqual([]);
  });

  it('throws on a transient SMTP failure (activity retry) and the retry sends exactly one email', async () => {
    const campaign = newCampaign();
    const down = createMailer({ SMTP_URL: 'smtp://127.0.0.1:1', MAIL_FROM: 'billing@payments.example.com' });
    await expect(sendRecoveryMessage({ ...deps, mailer: down }, key(campaign), 'ada@example.com', data(), notPaid)).rejects.toBeInstanceOf(MessageSendError);
    expect((await listMessagesForCampaign(app.db, 't1', campaign))[0]).toMatchObject({ status: 'failed', permanentFailure: false });
    const retried = await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid);
    expect(retried).toMatchObject({ status: 'sent' });
    expect(smtp.mails).toHaveLength(1);
    expect((await listMessagesForCampaign(app.db, 't1', campaign))[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a rejected recipient (SMTP 5xx) is a permanent failure', async () => {
    const rejecting = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }));
      },
    });
    await new Promise<void>((resolve) => rejecting.listen(0, '127.0.0.1', () => resolve()));
    const port = (rejecting.server.address() as AddressInfo).port;
    const rejectingMailer = createMailer({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'billing@payments.example.com' });
    try {
      const campaign = newCampaign();
      const outcome = await sendRecoveryMessage({ ...deps, mailer: rejectingMailer }, key(campaign), 'nobody@example.com', data(), notPaid);
      expect(outcome).toMatchObject({ status: 'failed', permanent: true });
      expect((await listMessagesForCampaign(app.db, 't1', campaign))[0]).toMatchObject({ status: 'failed', permanentFailure: true });
    } finally {
      rejectingMailer.close();
      await new Promise<void>((resolve) => rejecting.close(() => resolve()));
    }
  });
});

describe('SMS through the Twilio SDK (Prism mock)', () => {
  it('sends To/From/Body/StatusCallback to the Messages resource with Basic auth', async () => {
    const campaign = newCampaign();
    const outcome = await sendRecoveryMessage(deps, key(campaign, 'sms'), '+1 (555) 010-2030', data(), notPaid);
    expect(outcome).toEqual({ status: 'sent', providerId: expect.stringMatching(/^SM[0-9a-f]{32}$/i) });
    expect(proxy.requests).toHaveLength(1);
    const request = proxy.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/2010-04-01/Accounts/${app.config.TWILIO_ACCOUNT_SID}/Messages.json`);
    expect(request.status).toBe(201);
    expect(request.authorization).toBe(`Basic ${Buffer.from(`${app.config.TWILIO_ACCOUNT_SID}:${app.config.TWILIO_AUTH_TOKEN}`).toString('base64')}`);
    expect(request.form.To).toBe('+15550102030');
    expect(request.form.From).toBe(app.config.TWILIO_FROM_NUMBER);
    expect(request.form.Body).toContain('12.34 USD');
    expect(request.form.Body).toContain('https://pay.example.com/c/abc123');
    expect(request.form.Body).toContain('Reply STOP to opt out');
    expect(request.form.StatusCallback).toBe(`${app.config.PUBLIC_BASE_URL}/v1/webhooks/twilio/status`);
    expect((await listMessagesForCampaign(app.db, 't1', campaign))[0]).toMatchObject({ status: 'sent', recipient: '+15550102030', channel: 'sms' });

    expect(await sendRecoveryMessage(deps, key(campaign, 'sms'), '+15550102030', data(), notPaid)).toEqual({ status: 'skipped', reason: 'already_sent' });
    expect(proxy.requests).toHaveLength(1);
  });

  it('uses the Messaging Service when configured, and an invalid request (Prism 422) is permanent', async () => {
    const viaService = createSmsSender({ ...app.config, TWILIO_API_BASE_URL: proxy.url, TWILIO_FROM_NUMBER: undefined, TWILIO_MESSAGING_SERVICE_SID: 'MG0123456789abcdef0123456789abcdef' });
    const ok = await sendRecoveryMessage({ ...deps, sms: viaService }, key(newCampaign(), 'sms'), '+15550102031', data(), notPaid);
    expect(ok).toMatchObject({ status: 'sent' });
    expect(proxy.requests[0]!.form).toMatchObject({ MessagingServiceSid: 'MG0123456789abcdef0123456789abcdef' });
    expect(proxy.requests[0]!.form.From).toBeUndefined();

    // Prism validates against Twilio's spec: a malformed Messaging Service SID is a 4xx, which can never succeed.
    const broken = createSmsSender({ ...app.config, TWILIO_API_BASE_URL: proxy.url, TWILIO_FROM_NUMBER: undefined, TWILIO_MESSAGING_SERVICE_SID: 'MGnot-a-sid' });
    const campaign = newCampaign();
    const failed = await sendRecoveryMessage({ ...deps, sms: broken }, key(campaign, 'sms'), '+15550102032', data(), notPaid);
    expect(failed).toMatchObject({ status: 'failed', permanent: true });
    expect(proxy.requests.at(-1)!.status).toBe(422);
    expect((await listMessagesForCampaign(app.db, 't1', campaign))[0]).toMatchObject({ status: 'failed', permanentFailure: true });
    const count = proxy.requests.length;
    expect(await sendRecoveryMessage({ ...deps, sms: broken }, key(campaign, 'sms'), '+15550102032', data(), notPaid)).toMatchObject({ status: 'failed', permanent: true });
    expect(proxy.requests).toHaveLength(count);
  });

  it('Twilio 21610 (recipient replied STOP) is permanent and suppresses SMS to that number', async () => {
    const optedOut: SmsSender = {
      kind: 'twilio',
      send: async () => {
        throw Object.assign(new Error('Attempt to send to unsubscribed recipient'), { status: 400, code: 21610 });
      },
    };
    const outcome = await sendRecoveryMessage({ ...deps, sms: optedOut }, key(newCampaign(), 'sms'), '+15550102033', data(), notPaid);
    expect(outcome).toMatchObject({ status: 'failed', permanent: true });
    expect(await isSuppressed(app.db, 't2', 'sms', '+15550102033')).toBe(true);
  });

  it('a Twilio outage (connection refused) is transient: the activity retries', async () => {
    const down = createSmsSender({ ...app.config, TWILIO_API_BASE_URL: 'http://127.0.0.1:1' });
    await expect(sendRecoveryMessage({ ...deps, sms: down }, key(newCampaign(), 'sms'), '+15550102034', data(), notPaid)).rejects.toBeInstanceOf(MessageSendError);
  });
});

describe('Twilio webhooks', () => {
  const post = async (path: string, params: Record<string, string>, signature?: string) => {
    const sig = signature ?? twilio.getExpectedTwilioSignature(app.config.TWILIO_AUTH_TOKEN!, `${app.config.PUBLIC_BASE_URL}${path}`, params);
    return fetch(`${app.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
      body: new URLSearchParams(params).toString(),
    });
  };

  it('a signed STOP reply suppresses SMS to that number; START lifts it', async () => {
    const params = { MessageSid: 'SM00000000000000000000000000000001', From: '+15550109999', To: '+15005550006', Body: '  stop ', AccountSid: app.config.TWILIO_ACCOUNT_SID! };
    const response = await post('/v1/webhooks/twilio/inbound', params);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('xml');
    expect(await response.text()).toContain('<Response></Response>');
    expect(await isSuppressed(app.db, 't1', 'sms', '+15550109999')).toBe(true);

    const skipped = await sendRecoveryMessage(deps, key(newCampaign(), 'sms'), '+15550109999', data(), notPaid);
    expect(skipped).toEqual({ status: 'skipped', reason: 'suppressed' });
    expect(proxy.requests).toHaveLength(0);

    expect((await post('/v1/webhooks/twilio/inbound', { ...params, Body: 'START' })).status).toBe(200);
    expect(await isSuppressed(app.db, 't1', 'sms', '+15550109999')).toBe(false);
  });

  it('rejects a bad or missing signature with 403 and changes nothing', async () => {
    const params = { From: '+15550108888', Body: 'STOP' };
    const bad = await post('/v1/webhooks/twilio/inbound', params, 'bm90IGEgc2lnbmF0dXJl');
    expect(bad.status).toBe(403);
    expect(await bad.json()).toMatchObject({ code: 'invalid_signature' });
    const tampered = twilio.getExpectedTwilioSignature(app.config.TWILIO_AUTH_TOKEN!, `${app.config.PUBLIC_BASE_URL}/v1/webhooks/twilio/inbound`, { ...params, Body: 'hello' });
    expect((await post('/v1/webhooks/twilio/inbound', params, tampered)).status).toBe(403);
    const unsigned = await fetch(`${app.baseUrl}/v1/webhooks/twilio/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'MessageSid=SM1&MessageStatus=delivered',
    });
    expect(unsigned.status).toBe(403);
    expect(await isSuppressed(app.db, 't1', 'sms', '+15550108888')).toBe(false);
  });

  it('status callbacks update the message record', async () => {
    const campaign = newCampaign();
    const sid1 = 'SM1111111111111111111111111111aaaa';
    const sid2 = 'SM2222222222222222222222222222bbbb';
    for (const [step, sid] of [[1, sid1], [2, sid2]] as const) {
      const claim = await claimMessage(app.db, key(campaign, 'sms', step), '+15550107777');
      if (!claim.claimed) throw new Error('expected a fresh claim');
      await markMessage(app.db, claim.id, { status: 'sent', providerId: sid });
    }
    const delivered = await post('/v1/webhooks/twilio/status', { MessageSid: sid1, MessageStatus: 'delivered', AccountSid: app.config.TWILIO_ACCOUNT_SID! });
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toMatchObject({ updated: 1 });
    expect((await post('/v1/webhooks/twilio/status', { MessageSid: sid2, MessageStatus: 'undelivered', ErrorCode: '30003' })).status).toBe(200);
    // A late 'undelivered' never overwrites 'delivered'.
    await post('/v1/webhooks/twilio/status', { MessageSid: sid1, MessageStatus: 'undelivered', ErrorCode: '30005' });
    const rows = await listMessagesForCampaign(app.db, 't1', campaign);
    expect(rows.map((row) => [row.step, row.status])).toEqual([
      [1, 'delivered'],
      [2, 'undelivered'],
    ]);
    expect(rows[1]!.error).toContain('30003');
  });
});

describe('email unsubscribe link', () => {
  it('GET shows a confirmation page (changes nothing); POST and RFC 8058 one-click suppress email', async () => {
    const link = new URL(unsubscribeUrl(app.config, 't1', 'Leave@Example.com'));
    expect(link.pathname).toBe('/v1/messages/unsubscribe');
    const local = `${app.baseUrl}${link.pathname}${link.search}`;

    const confirm = await fetch(local);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain('leave@example.com');
    expect(html).toContain('<form method="post"');
    expect(await isSuppressed(app.db, 't1', 'email', 'leave@example.com')).toBe(false);

    const oneClick = await fetch(local, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(200);
    expect(await isSuppressed(app.db, 't1', 'email', 'LEAVE@example.com')).toBe(true);
    expect(await isSuppressed(app.db, 't2', 'email', 'leave@example.com')).toBe(false);

    const outcome = await sendRecoveryMessage(deps, key(newCampaign()), 'leave@example.com', data(), notPaid);
    expect(outcome).toEqual({ status: 'skipped', reason: 'suppressed' });
  });

  it('a tampered token is refused', async () => {
    const link = new URL(unsubscribeUrl(app.config, 't1', 'someone@example.com'));
    const token = link.searchParams.get('token')!;
    const [v, payload, mac] = token.split('.');
    const forged = `${v}.${Buffer.from(JSON.stringify({ t: 't2', c: 'email', a: 'someone@example.com' })).toString('base64url')}.${mac}`;
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'))).toEqual({ t: 't1', c: 'email', a: 'someone@example.com' });
    const response = await fetch(`${app.baseUrl}/v1/messages/unsubscribe?token=${encodeURIComponent(forged)}`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(await isSuppressed(app.db, 't2', 'email', 'someone@example.com')).toBe(false);
  });
});
