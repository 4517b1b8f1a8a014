/**
 * Exactly once across the two crash windows of a recovery message send (src/messaging/send.ts), on a real SMTP
 * listener and the Twilio API mock (Prism behind a capturing proxy):
 *   claim window    the row is 'claimed' but nothing was handed to the provider: the retry sends, exactly once.
 *   hand-off window the row is 'sending' (the provider may have the message): the retry reports possibly_sent and
 *                   sends nothing.
 * Plus the fencing of claims: an attempt presumed dead but still running cannot send after its retry took over.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { beginHandoff, claimMessage, findMessage, listMessagesForCampaign } from '../../src/db/messages.js';
import { createMailer, type Mailer } from '../../src/messaging/email.js';
import { sendRecoveryMessage, type SendDeps } from '../../src/messaging/send.js';
import { createSmsSender } from '../../src/messaging/sms.js';
import type { MessageKey, RecoveryMessageData } from '../../src/domain/messaging/contracts.js';
import { createTestApp, waitFor, type TestApp } from '../helpers/app-context.js';
import { startCapturingProxy, startSmtpListener, type SmtpListener } from '../helpers/message-capture.js';

const data = (): RecoveryMessageData => ({
  tenantName: 'Tenant one',
  customerName: 'Ada',
  amount: 1234,
  currency: 'usd',
  dueDate: '2026-03-15',
  paymentUrl: 'https://pay.example.com/c/claim-window',
  unsubscribeUrl: 'https://payments.example.com/v1/messages/unsubscribe?token=t',
  step: 1,
});

const notPaid = { isItemPaid: async () => false };

let app: TestApp;
let smtp: SmtpListener;
let proxy: Awaited<ReturnType<typeof startCapturingProxy>>;
let mailer: Mailer;
let deps: SendDeps;
let campaignCounter = 0;
const newCampaign = () => `camp_window_${Date.now()}_${++campaignCounter}`;
const key = (campaignId: string, channel: 'email' | 'sms' = 'email'): MessageKey => ({ tenantId: 't1', campaignId, step: 1, channel });
const rowOf = async (campaignId: string) => (await listMessagesForCampaign(app.db, 't1', campaignId))[0];

/** What a send attempt that died right after claiming leaves behind: the claim, exactly as send takes it. */
async function abandonedClaim(messageKey: MessageKey, recipient: string) {
  const claim = await claimMessage(app.db, messageKey, recipient);
  if (!claim.claimed) throw new Error('expected a fresh claim');
  return claim;
}

beforeAll(async () => {
  app = await createTestApp();
  smtp = await startSmtpListener();
  proxy = await startCapturingProxy(app.config.TWILIO_API_BASE_URL!);
  mailer = createMailer({ SMTP_URL: smtp.url, MAIL_FROM: 'Payments <billing@payments.example.com>' });
  deps = { db: app.db, mailer, sms: createSmsSender({ ...app.config, TWILIO_API_BASE_URL: proxy.url }), config: app.config };
});

afterAll(async () => {
  smtp?.release();
  mailer?.close();
  await smtp?.stop();
  await proxy?.stop();
  await app?.close();
});

beforeEach(() => {
  smtp.hold = false;
  smtp.release();
  smtp.mails.length = 0;
  proxy.requests.length = 0;
});

describe('claim window: claimed, nothing handed off yet', () => {
  it('the retry of an attempt that died after claiming sends exactly one email and records sent', async () => {
    const campaign = newCampaign();
    await abandonedClaim(key(campaign), 'ada@example.com');
    expect(await rowOf(campaign)).toMatchObject({ status: 'claimed', attempts: 1 });
    expect(smtp.mails).toHaveLength(0);

    const outcome = await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid);
    expect(outcome).toMatchObject({ status: 'sent' });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.text).toContain('https://pay.example.com/c/claim-window');
    const row = await rowOf(campaign);
    expect(row).toMatchObject({ status: 'sent', attempts: 2, error: null });
    expect(row!.providerId).toBe(smtp.mails[0]!.messageId);

    expect(await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid)).toEqual({ status: 'skipped', reason: 'already_sent' });
    expect(smtp.mails).toHaveLength(1);
  });

  it('the same for SMS: one request to Twilio', async () => {
    const campaign = newCampaign();
    await abandonedClaim(key(campaign, 'sms'), '+15550104040');
    const outcome = await sendRecoveryMessage(deps, key(campaign, 'sms'), '+15550104040', data(), notPaid);
    expect(outcome).toEqual({ status: 'sent', providerId: expect.stringMatching(/^SM[0-9a-f]{32}$/i) });
    expect(proxy.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
    expect(await rowOf(campaign)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await sendRecoveryMessage(deps, key(campaign, 'sms'), '+15550104040', data(), notPaid)).toEqual({ status: 'skipped', reason: 'already_sent' });
    expect(proxy.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it('an attempt presumed dead but still before its hand-off cannot send once the retry took over', async () => {
    const campaign = newCampaign();
    let entered!: () => void;
    let resume!: () => void;
    const inPaidCheck = new Promise<void>((resolve) => (entered = resolve));
    const paused = new Promise<void>((resolve) => (resume = resolve));
    // The first attempt claims, then hangs in isItemPaid (e.g. a slow Stripe call) past its activity timeout.
    const first = sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), {
      isItemPaid: async () => {
        entered();
        await paused;
        return false;
      },
    });
    await inPaidCheck;
    expect(await rowOf(campaign)).toMatchObject({ status: 'claimed', attempts: 1 });

    const retry = await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid);
    expect(retry).toMatchObject({ status: 'sent' });
    expect(smtp.mails).toHaveLength(1);

    resume();
    expect(await first).toEqual({ status: 'skipped', reason: 'already_sent' });
    expect(smtp.mails).toHaveLength(1);
    expect(await rowOf(campaign)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('two concurrent retries of an abandoned claim deliver exactly one email', async () => {
    const campaign = newCampaign();
    await abandonedClaim(key(campaign), 'ada@example.com');
    const outcomes = await Promise.all([
      sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid),
      sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'sent')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === 'skipped')).toHaveLength(1);
    // The SMTP server acknowledged before the winner recorded 'sent': wait for the record, then count.
    await waitFor(async () => ((await rowOf(campaign))?.status === 'sent' ? true : undefined), 'the sent record', 5_000);
    expect(smtp.mails).toHaveLength(1);
  });
});

describe('hand-off window: the provider may have the message', () => {
  it('an attempt stuck after handing the email to SMTP (DATA not acknowledged) is not resent: possibly_sent', async () => {
    const campaign = newCampaign();
    smtp.hold = true;
    // The first attempt hands the email over; the SMTP server has it but does not acknowledge (the attempt is
    // presumed dead: Temporal retries it once its start-to-close timeout lapses).
    const first = sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid);
    await waitFor(async () => (smtp.mails.length === 1 ? true : undefined), 'the held email', 10_000);
    expect(await rowOf(campaign)).toMatchObject({ status: 'sending', attempts: 1 });

    const retry = await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid);
    expect(retry).toEqual({ status: 'skipped', reason: 'possibly_sent' });
    expect(await rowOf(campaign)).toMatchObject({ status: 'possibly_sent' });
    expect(await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid)).toEqual({ status: 'skipped', reason: 'possibly_sent' });

    // The server finally acknowledges: the first attempt records what really happened, and nothing else went out.
    smtp.hold = false;
    smtp.release();
    expect(await first).toMatchObject({ status: 'sent' });
    expect(smtp.mails).toHaveLength(1);
    expect(await rowOf(campaign)).toMatchObject({ status: 'sent' });
  });

  it('a row left sending (the attempt died during the hand-off) is never resent, email or SMS', async () => {
    for (const [channel, recipient] of [
      ['email', 'ada@example.com'],
      ['sms', '+15550104041'],
    ] as const) {
      const campaign = newCampaign();
      const claim = await abandonedClaim(key(campaign, channel), recipient);
      expect(await beginHandoff(app.db, claim)).toBe(true);
      expect(await rowOf(campaign)).toMatchObject({ status: 'sending' });

      expect(await sendRecoveryMessage(deps, key(campaign, channel), recipient, data(), notPaid)).toEqual({ status: 'skipped', reason: 'possibly_sent' });
      expect(await rowOf(campaign)).toMatchObject({ status: 'possibly_sent', attempts: 1 });
      expect(await sendRecoveryMessage(deps, key(campaign, channel), recipient, data(), notPaid)).toEqual({ status: 'skipped', reason: 'possibly_sent' });
    }
    expect(smtp.mails).toHaveLength(0);
    expect(proxy.requests).toHaveLength(0);
  });

  it('only the latest claim can start the hand-off', async () => {
    const campaign = newCampaign();
    const stale = await abandonedClaim(key(campaign), 'ada@example.com');
    expect(await sendRecoveryMessage(deps, key(campaign), 'ada@example.com', data(), notPaid)).toMatchObject({ status: 'sent' });
    expect(await beginHandoff(app.db, stale)).toBe(false);
    expect(await findMessage(app.db, key(campaign))).toMatchObject({ status: 'sent' });
  });
});

describe('migration 0011', () => {
  it('the status CHECK of recovery_messages allows sending and still refuses unknown statuses', async () => {
    const { rows } = await sql<{ conname: string; def: string }>`
      select conname, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid = 'recovery_messages'::regclass and contype = 'c' and pg_get_constraintdef(oid) ilike '%status%'
    `.execute(app.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.conname).toBe('recovery_messages_status_check');
    for (const status of ['claimed', 'sending', 'sent', 'failed', 'possibly_sent', 'delivered', 'undelivered']) expect(rows[0]!.def).toContain(`'${status}'`);

    const claim = await abandonedClaim(key(newCampaign()), 'ada@example.com');
    await expect(sql`update recovery_messages set status = 'bogus' where id = ${claim.id}`.execute(app.db)).rejects.toThrow(/recovery_messages_status_check/);
  });
});
