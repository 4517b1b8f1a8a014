/** The one Stripe error classifier (src/stripe/errors.ts) and the two places that read it. */
import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { callStripe } from '../../../activities/errors.js';
import { isStripeUnavailable } from '../../../src/gateway/upstream.js';
import { classifyStripeError, isStripeOutage, isTransientStripeFailure, type StripeFailureKind } from '../../../src/stripe/errors.js';

const apiError = (statusCode: number) =>
  Stripe.errors.StripeError.generate({ type: 'api_error', message: `status ${statusCode}`, code: 'some_code', statusCode, requestId: 'req_1' } as never);

describe('classifyStripeError', () => {
  it.each([
    [400, 'refused', false, false],
    [401, 'refused', false, false],
    [402, 'refused', false, false],
    [404, 'refused', false, false],
    [409, 'lock_timeout', true, false],
    [429, 'rate_limited', true, true],
    [500, 'server_error', true, true],
    [503, 'server_error', true, true],
  ] as Array<[number, StripeFailureKind, boolean, boolean]>)('HTTP %i is %s (transient %s, outage %s)', (statusCode, kind, transient, outage) => {
    const failure = classifyStripeError(apiError(statusCode))!;
    expect(failure).toEqual({ kind, statusCode, type: expect.any(String), code: 'some_code', requestId: 'req_1' });
    expect(isTransientStripeFailure(failure)).toBe(transient);
    expect(isStripeOutage(failure)).toBe(outage);
    expect(isStripeUnavailable(apiError(statusCode))).toBe(outage);
  });

  it('calls a connection error unreachable: transient and an outage', () => {
    const error = new Stripe.errors.StripeConnectionError({ message: 'An error occurred with our connection to Stripe.' } as never);
    const failure = classifyStripeError(error)!;
    expect(failure.kind).toBe('unreachable');
    expect(failure.statusCode).toBe(0);
    expect(isTransientStripeFailure(failure)).toBe(true);
    expect(isStripeUnavailable(new Error('wrapped', { cause: error }))).toBe(true);
  });

  it('ignores anything that is not a Stripe error', () => {
    expect(classifyStripeError(new Error('boom'))).toBeUndefined();
    expect(classifyStripeError('boom')).toBeUndefined();
    expect(isStripeUnavailable(new Error('boom'))).toBe(false);
  });
});

describe('callStripe', () => {
  it('turns a refusal into a non-retryable StripeClientError with the Stripe details', async () => {
    const failure: ApplicationFailure = await callStripe('charges.create', () => Promise.reject(apiError(400))).catch((error) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'StripeClientError', nonRetryable: true, message: 'charges.create failed: status 400' });
    expect(failure.details).toEqual([{ type: expect.any(String), code: 'some_code', statusCode: 400, requestId: 'req_1' }]);
  });

  it.each([409, 429, 500])('keeps retrying HTTP %i as StripeTransientError', async (statusCode) => {
    const failure: ApplicationFailure = await callStripe('charges.create', () => Promise.reject(apiError(statusCode))).catch((error) => error);
    expect(failure).toMatchObject({ type: 'StripeTransientError', nonRetryable: false });
  });

  it('passes other errors and results through unchanged', async () => {
    const other = new Error('not stripe');
    await expect(callStripe('x', () => Promise.reject(other))).rejects.toBe(other);
    await expect(callStripe('x', () => Promise.resolve(42))).resolves.toBe(42);
  });
});
