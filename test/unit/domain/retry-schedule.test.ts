import { describe, expect, it } from 'vitest';
import {
  DATABASE_CONSTRAINT_ERROR,
  DATABASE_DATA_ERROR,
  INVALID_INPUT_ERROR,
  NON_RETRYABLE_ERROR_TYPES,
  STRIPE_CLIENT_ERROR,
  STRIPE_TRANSIENT_ERROR,
} from '../../../src/domain/retry/error-types.js';
import { ACTIVITY_RETRY_LIMIT, retryPolicy } from '../../../src/domain/retry/schedule.js';

describe('retryPolicy', () => {
  it('grows geometrically from the first interval to the last', () => {
    expect(retryPolicy({ intervalsMs: [1_000, 60_000, 3_600_000] })).toEqual({
      initialInterval: 1_000,
      backoffCoefficient: 60,
      maximumInterval: 3_600_000,
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    });
  });

  it('rounds the coefficient to three decimals', () => {
    expect(retryPolicy({ intervalsMs: [1_000, 5_000, 30_000] }).backoffCoefficient).toBe(5.477);
  });

  it('doubles when the schedule does not grow, and defaults to one minute for an empty schedule', () => {
    expect(retryPolicy({ intervalsMs: [5_000] })).toMatchObject({ initialInterval: 5_000, backoffCoefficient: 2, maximumInterval: 5_000 });
    expect(retryPolicy({ intervalsMs: [] })).toMatchObject({ initialInterval: 60_000, backoffCoefficient: 2, maximumInterval: 60_000 });
  });

  it('never backs off below 1 when the last interval is the smallest', () => {
    expect(retryPolicy({ intervalsMs: [60_000, 1_000] })).toMatchObject({ initialInterval: 60_000, backoffCoefficient: 2, maximumInterval: 1_000 });
  });

  it('gives up after three days', () => {
    expect(ACTIVITY_RETRY_LIMIT).toBe('3 days');
  });
});

describe('failure types', () => {
  it('lists exactly the types retrying cannot fix, in the order workflows record them', () => {
    expect(NON_RETRYABLE_ERROR_TYPES).toEqual([
      'StripeClientError',
      'ValidationError',
      'InsufficientBalanceError',
      'SourceKeyConflictError',
      'DatabaseDataError',
      'DatabaseConstraintError',
      'InvalidInputError',
    ]);
  });

  it('keeps the recorded names', () => {
    expect([STRIPE_CLIENT_ERROR, STRIPE_TRANSIENT_ERROR, DATABASE_DATA_ERROR, DATABASE_CONSTRAINT_ERROR, INVALID_INPUT_ERROR]).toEqual([
      'StripeClientError',
      'StripeTransientError',
      'DatabaseDataError',
      'DatabaseConstraintError',
      'InvalidInputError',
    ]);
    expect(NON_RETRYABLE_ERROR_TYPES).not.toContain(STRIPE_TRANSIENT_ERROR);
  });
});
