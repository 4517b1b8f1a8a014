import { describe, expect, it } from 'vitest';
import { normaliseAddress } from '../../src/db/suppressions.js';
import { classifyEmailError } from '../../src/messaging/email.js';
import { linkKey, signUnsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from '../../src/messaging/links.js';
import { recoveryMessageId } from '../../src/messaging/send.js';
import { classifySmsError, createSmsSender } from '../../src/messaging/sms.js';
import { formatAmount, renderRecoveryEmail, renderRecoverySms } from '../../src/messaging/templates.js';
import type { RecoveryMessageData } from '../../src/domain/messaging/contracts.js';

const base: RecoveryMessageData = {
  tenantName: 'Acme',
  amount: 1234,
  currency: 'usd',
  paymentUrl: 'https://pay.example.com/x?a=1&b=2',
  unsubscribeUrl: 'https://payments.example.com/v1/messages/unsubscribe?token=abc',
  step: 1,
};

describe('recovery templates', () => {
  it('formats amounts by currency exponent', () => {
    expect(formatAmount(1234, 'usd')).toBe('12.34 USD');
    expect(formatAmount(1234, 'jpy')).toBe('1234 JPY');
    expect(formatAmount(1234, 'kwd')).toBe('1.234 KWD');
    expect(formatAmount(5, 'eur')).toBe('0.05 EUR');
    expect(renderRecoveryEmail({ ...base, amount: 5000, currency: 'jpy' }).html).toContain('5000 JPY');
    expect(renderRecoveryEmail({ ...base, amount: 12_500, currency: 'KWD' }).text).toContain('12.500 KWD');
    expect(renderRecoverySms({ ...base, amount: 5000, currency: 'jpy' })).toContain('5000 JPY');
  });

  it('renders subject, pay button, plain link, due date, tenant and unsubscribe footer', () => {
    const email = renderRecoveryEmail({ ...base, dueDate: '2026-03-15', customerName: 'Ada', step: 2 });
    expect(email.subject).toBe('Reminder 2: Payment of 12.34 USD to Acme is due');
    expect(email.html).toContain('href="https://pay.example.com/x?a=1&amp;b=2"');
    expect(email.html).toContain('>Pay 12.34 USD</a>');
    expect(email.html).toContain('>https://pay.example.com/x?a=1&amp;b=2</a>');
    expect(email.html).toContain('15 March 2026');
    expect(email.html).toContain('href="https://payments.example.com/v1/messages/unsubscribe?token=abc"');
    expect(email.text).toContain('https://pay.example.com/x?a=1&b=2');
    expect(email.text).toContain('Hi Ada,');
    expect(email.text).toContain('due on 15 March 2026');
    expect(email.text).toContain('https://payments.example.com/v1/messages/unsubscribe?token=abc');
  });

  it('escapes tenant and customer names in HTML', () => {
    const email = renderRecoveryEmail({ ...base, tenantName: 'Tom & <Jerry>', customerName: '"><script>alert(1)</script>' });
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<Jerry>');
    expect(email.html).toContain('Tom &amp; &lt;Jerry&gt;');
    expect(email.html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.text).toContain('Tom & <Jerry>');
  });

  it('refuses non-http(s) links', () => {
    expect(() => renderRecoveryEmail({ ...base, paymentUrl: 'javascript:alert(1)' })).toThrow(RangeError);
    expect(() => renderRecoverySms({ ...base, paymentUrl: 'not a url' })).toThrow(RangeError);
  });

  it('keeps the SMS short with the opt-out instruction', () => {
    const text = renderRecoverySms({ ...base, dueDate: '2026-03-15' });
    expect(text).toBe('Acme: payment of 12.34 USD (due 15 March 2026) is outstanding. Pay: https://pay.example.com/x?a=1&b=2 Reply STOP to opt out');
    expect(text.length).toBeLessThanOrEqual(160);
  });
});

describe('error classification', () => {
  it('Twilio: recipient errors are permanent; auth, rate limits, 5xx and network are transient', () => {
    for (const code of [21211, 21610, 21614]) expect(classifySmsError({ status: 400, code, message: 'x' }).permanent).toBe(true);
    expect(classifySmsError({ status: 400, code: 21602, message: 'Message body is required' }).permanent).toBe(true);
    expect(classifySmsError({ status: 401, code: 20003, message: 'Authenticate' }).permanent).toBe(false);
    expect(classifySmsError({ status: 429, code: 20429, message: 'Too Many Requests' }).permanent).toBe(false);
    expect(classifySmsError({ status: 500, message: 'oops' }).permanent).toBe(false);
    expect(classifySmsError({ status: 503, message: 'oops' }).permanent).toBe(false);
    const refused = classifySmsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect([refused.permanent, refused.ambiguous]).toEqual([false, false]);
    const timeout = classifySmsError(Object.assign(new Error('timeout of 15000ms exceeded'), { code: 'ECONNABORTED' }));
    expect([timeout.permanent, timeout.ambiguous]).toEqual([false, true]);
    expect(classifySmsError({ status: 400, code: 21211, message: 'Invalid To' }).message).toContain("invalid 'To' phone number");
  });

  it('SMTP: 5xx is permanent (except auth), 4xx and connection errors transient', () => {
    expect(classifyEmailError({ code: 'EENVELOPE', responseCode: 550, message: 'no such user' }).permanent).toBe(true);
    expect(classifyEmailError({ code: 'EMESSAGE', responseCode: 554, message: 'rejected' }).permanent).toBe(true);
    expect(classifyEmailError({ code: 'EAUTH', responseCode: 535, message: 'bad credentials' }).permanent).toBe(false);
    expect(classifyEmailError({ code: 'EENVELOPE', responseCode: 451, message: 'greylisted' }).permanent).toBe(false);
    expect(classifyEmailError({ code: 'ECONNECTION', message: 'refused' }).permanent).toBe(false);
  });
});

describe('addresses, links and ids', () => {
  it('normalises emails and E.164 numbers', () => {
    expect(normaliseAddress('email', ' Ada@Example.COM ')).toBe('ada@example.com');
    expect(normaliseAddress('email', 'not-an-email')).toBeUndefined();
    expect(normaliseAddress('sms', '+1 (555) 010-2030')).toBe('+15550102030');
    expect(normaliseAddress('sms', '555 0102')).toBeUndefined();
  });

  it('signs unsubscribe tokens and refuses tampering or another key', () => {
    const config = { STRIPE_SECRET_KEY: 'sk_test_123', MESSAGING_LINK_SECRET: undefined, PUBLIC_BASE_URL: 'https://payments.example.com/' };
    const key = linkKey(config);
    const token = signUnsubscribeToken({ tenantId: 't1', channel: 'email', address: 'a@example.com' }, key);
    expect(verifyUnsubscribeToken(token, key)).toEqual({ tenantId: 't1', channel: 'email', address: 'a@example.com' });
    expect(verifyUnsubscribeToken(`${token}x`, key)).toBeUndefined();
    expect(verifyUnsubscribeToken(token, linkKey({ ...config, MESSAGING_LINK_SECRET: 'x'.repeat(32) }))).toBeUndefined();
    const url = new URL(unsubscribeUrl(config, 't1', 'A@Example.com'));
    expect(url.origin + url.pathname).toBe('https://payments.example.com/v1/messages/unsubscribe');
    expect(verifyUnsubscribeToken(url.searchParams.get('token')!, key)).toMatchObject({ address: 'a@example.com' });
  });

  it('gives each step a stable Message-ID', () => {
    const key = { tenantId: 't1', campaignId: 'c1', step: 1, channel: 'email' as const };
    expect(recoveryMessageId(key, 'Payments <billing@pay.example.com>')).toMatch(/^<recovery\.[0-9a-f]{32}@pay\.example\.com>$/);
    expect(recoveryMessageId(key, 'x@a.com')).toBe(recoveryMessageId(key, 'y@a.com'));
    expect(recoveryMessageId(key, 'x@a.com')).not.toBe(recoveryMessageId({ ...key, step: 2 }, 'x@a.com'));
  });

  it('SMS sender: logs when Twilio is not configured, refuses a partial configuration', () => {
    const none = { PUBLIC_BASE_URL: 'http://localhost:3000' } as Parameters<typeof createSmsSender>[0];
    expect(createSmsSender(none).kind).toBe('log');
    expect(() => createSmsSender({ ...none, TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', TWILIO_AUTH_TOKEN: 't' })).toThrow(/TWILIO_MESSAGING_SERVICE_SID/);
  });
});
