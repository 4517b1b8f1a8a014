/**
 * No personal data in log lines at info and above (src/logger.ts): e-mail addresses, E.164 phone numbers, card-like
 * numbers and message bodies are masked in nested objects, in message strings and in errors.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, maskText, pseudonym } from '../../src/logger.js';
import { temporalRuntimeLogger } from '../../src/worker/runtime-logger.js';

const EMAIL = 'Jane.Doe+billing@example.com';
const PHONE = '+15551234567';
const CARD = '4242 4242 4242 4242';
const SMS = 'Hi Jane, your payment of $15.00 to Acme is due: https://pay.example/t/abc';

function capture(level = 'info') {
  const lines: string[] = [];
  const log = createLogger(level, 'test', { write: (line: string) => lines.push(line) });
  return { log, lines, text: () => lines.join(''), parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const expectClean = (text: string) => {
  expect(text).not.toContain(EMAIL);
  expect(text.toLowerCase()).not.toContain(EMAIL.toLowerCase());
  expect(text).not.toContain(PHONE);
  expect(text).not.toContain('5551234567');
  expect(text).not.toContain('4242');
  expect(text).not.toContain(SMS);
  expect(text).not.toContain('payment of $15.00');
};

describe('log redaction', () => {
  it('pseudonymises known keys at any depth and masks free text in nested string fields', () => {
    const { log, text, parsed } = capture();
    log.info(
      {
        to: PHONE,
        body: SMS,
        customer: { email: EMAIL, phone: PHONE, profile: { receipt_email: EMAIL, contact: { recipient: EMAIL, html: `<p>${SMS}</p>` } } },
        recipients: [EMAIL, PHONE],
        note: `card ${CARD} for ${EMAIL} / ${PHONE}`,
        list: [{ customer_email: EMAIL }, `call +44 20 7946 0958 or ${PHONE}`],
        amount: 1500,
      },
      'sending',
    );
    expectClean(text());
    expect(text()).not.toContain('+44 20 7946 0958');
    const [line] = parsed();
    expect(line).toMatchObject({
      to: pseudonym(PHONE, 'phone'),
      body: expect.stringMatching(/^text#[0-9a-f]{6}$/),
      customer: { email: pseudonym(EMAIL, 'email'), phone: pseudonym(PHONE, 'phone') },
      recipients: [pseudonym(EMAIL, 'email'), pseudonym(PHONE, 'phone')],
      note: `card [card-number] for ${pseudonym(EMAIL, 'email')} / ${pseudonym(PHONE, 'phone')}`,
      amount: 1500,
    });
  });

  it('masks message strings, interpolation arguments and errors (message and stack)', () => {
    const { log, text, parsed } = capture();
    log.info(`SMS to ${PHONE}: ${EMAIL} paid with 4242-4242-4242-4242`);
    log.warn('to %s and %s', EMAIL, PHONE);
    const error = Object.assign(new Error(`The 'To' number ${PHONE} is not valid for ${EMAIL}`), { code: 21211 });
    log.warn({ err: error, key: { step: 1 } }, 'SMS failed');
    log.error(error);
    log.error({ cause: new Error(`card ${CARD}`) }, 'nested error');
    expectClean(text());
    const lines = parsed();
    expect(lines[0]!.msg).toBe(`SMS to ${pseudonym(PHONE, 'phone')}: ${pseudonym(EMAIL, 'email')} paid with [card-number]`);
    expect(lines[2]).toMatchObject({ err: { type: 'Error', code: 21211, message: expect.stringContaining(pseudonym(PHONE, 'phone')) }, key: { step: 1 } });
    expect(lines[3]).toMatchObject({ level: 50, err: { type: 'Error' }, msg: expect.stringContaining(pseudonym(PHONE, 'phone')) });
  });

  it('is stable and normalised so lines can be correlated, and leaves ordinary values alone', () => {
    expect(pseudonym(EMAIL)).toBe(pseudonym(EMAIL.toUpperCase(), 'email'));
    expect(pseudonym('+1 555 123 4567', 'phone')).toBe(pseudonym(PHONE, 'phone'));
    expect(pseudonym(pseudonym(EMAIL))).toBe(pseudonym(EMAIL));
    expect(maskText('GET /v1/transactions/4111111111111111?x=1')).toBe('GET /v1/transactions/[card-number]?x=1');
    expect(maskText('/v1/cards/4111%201111%201111%201111')).toBe('/v1/cards/[card-number]');
    for (const value of ['recovery:t1:txn:crash-test-1', 'pi_3NxYz0123456789', 'amount 123456789012', '2026-01-01T00:00:00.000Z', 'in_settle_1']) {
      expect(maskText(value)).toBe(value);
    }
  });

  it('keeps secrets redacted and does not touch the caller’s object', () => {
    const { log, text } = capture();
    const payload = { customer: { email: EMAIL }, auth: { apiKey: 'sk_live_secret' } };
    log.info(payload, 'payload');
    expect(payload.customer.email).toBe(EMAIL);
    expect(text()).not.toContain('sk_live_secret');
    expectClean(text());
  });

  it('pseudonymises identifiers at debug too; only bodies stay readable there', () => {
    const { log, parsed } = capture('debug');
    log.debug({ to: PHONE, body: SMS }, 'SMS text');
    expect(parsed()[0]).toMatchObject({ to: pseudonym(PHONE, 'phone'), body: SMS });
  });

  it('does no masking work for a disabled level', () => {
    const { log, lines } = capture('warn');
    const guarded = {
      get email(): string {
        throw new Error('read while info is disabled');
      },
    };
    log.info(guarded, 'ignored');
    expect(lines).toHaveLength(0);
  });

  it('masks the Temporal SDK\'s own lines (activity failures quoting an address) through the same logger', () => {
    const { log, text, parsed } = capture();
    const sdk = temporalRuntimeLogger(log, 'info');
    sdk.warn(`Activity failed: 550 mailbox unavailable for ${EMAIL}`, { activityType: 'sendStep', to: PHONE, body: SMS, error: new Error(`SMS to ${PHONE} failed, card ${CARD}`) });
    sdk.debug('not at info', { email: EMAIL });
    expectClean(text());
    expect(parsed()).toEqual([expect.objectContaining({ level: 40, activityType: 'sendStep', source: 'temporal-sdk' })]);
  });
});
