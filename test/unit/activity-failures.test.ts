import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { callStripe } from '../../activities/errors.js';
import { classifyActivityError, classifyActivityFailures } from '../../activities/failures.js';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { createRecoveryActivities } from '../../activities/recovery.js';
import { createTopUpActivities } from '../../activities/top-up.js';
import { activityOptions } from '../../workflows/activity-options.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../../src/domain/retry/error-types.js';

/** What node-postgres throws: an Error with the SQLSTATE in `code` and the schema names it points at. */
function pgError(code: string, message = 'invalid byte sequence for encoding "UTF8": 0x00', fields: Record<string, string> = {}) {
  return Object.assign(new Error(message), { code, severity: 'ERROR', detail: 'Failing row contains (ada@example.com).', ...fields });
}

describe('classifyActivityError', () => {
  it.each([
    ['22021', 'DatabaseDataError', 'character_not_in_repertoire'],
    ['22P05', 'DatabaseDataError', 'untranslatable_character'],
    ['22P02', 'DatabaseDataError', 'invalid_text_representation'],
    ['22003', 'DatabaseDataError', 'numeric_value_out_of_range'],
    ['22000', 'DatabaseDataError', 'data_exception'],
    ['23502', 'DatabaseConstraintError', 'not_null_violation'],
    ['23503', 'DatabaseConstraintError', 'foreign_key_violation'],
    ['23514', 'DatabaseConstraintError', 'check_violation'],
    ['23P01', 'DatabaseConstraintError', 'exclusion_violation'],
  ])('SQLSTATE %s is a non-retryable %s', (code, type, condition) => {
    const failure = classifyActivityError(pgError(code), 'recordCampaign');
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type, nonRetryable: true });
    expect(failure!.message).toBe(`recordCampaign: PostgreSQL ${condition} (SQLSTATE ${code})`);
    expect(NON_RETRYABLE_ERROR_TYPES).toContain(type);
  });

  it('names the table, column and constraint, never the value PostgreSQL quotes', () => {
    const failure = classifyActivityError(
      pgError('22P02', 'invalid input syntax for type integer: "ada@example.com"', { table: 'recovery_campaigns', column: 'amount', constraint: 'amount_positive' }),
    );
    expect(failure!.message).toBe('PostgreSQL invalid_text_representation (SQLSTATE 22P02) on recovery_campaigns.amount (constraint amount_positive)');
    expect(JSON.stringify({ message: failure!.message, details: failure!.details })).not.toContain('ada@example.com');
  });

  it('finds a PostgreSQL error wrapped as the cause of another error', () => {
    expect(classifyActivityError(new Error('insert failed', { cause: pgError('22021') }))).toMatchObject({ type: 'DatabaseDataError', nonRetryable: true });
  });

  it.each([
    ['23505 unique violation (a race the repositories resolve; a retry finds the winner)', pgError('23505', 'duplicate key value')],
    ['08006 connection failure', pgError('08006', 'connection failure')],
    ['08001 cannot connect now', pgError('08001', 'could not connect')],
    ['57P01 admin shutdown', pgError('57P01', 'terminating connection due to administrator command')],
    ['57P03 cannot connect now', pgError('57P03', 'the database system is starting up')],
    ['40001 serialization failure', pgError('40001', 'could not serialize access')],
    ['40P01 deadlock', pgError('40P01', 'deadlock detected')],
    ['53300 too many connections', pgError('53300', 'sorry, too many clients already')],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' })],
    ['ETIMEDOUT', Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })],
    ['a plain error', new Error('Connection terminated unexpectedly')],
    ['fetch failed (TypeError from undici)', new TypeError('fetch failed')],
    ['a non-error', 'boom'],
  ])('%s stays retryable', (_name, error) => {
    expect(classifyActivityError(error)).toBeUndefined();
  });

  it('leaves ApplicationFailures as they are: the Stripe classification and our own validation errors decide', () => {
    expect(classifyActivityError(ApplicationFailure.retryable('charges.create failed', 'StripeTransientError'))).toBeUndefined();
    expect(classifyActivityError(ApplicationFailure.nonRetryable('no invoice', 'ValidationError'))).toBeUndefined();
  });

  it('makes RangeError, values JSON cannot serialise and zod errors non-retryable', () => {
    expect(classifyActivityError(new RangeError('Invalid time value'))).toMatchObject({ type: 'InvalidInputError', nonRetryable: true, message: 'RangeError: Invalid time value' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    let serialisation: unknown;
    try {
      JSON.stringify(circular);
    } catch (error) {
      serialisation = error;
    }
    expect(classifyActivityError(serialisation)).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    let bigint: unknown;
    try {
      JSON.stringify({ amount: 1n });
    } catch (error) {
      bigint = error;
    }
    expect(classifyActivityError(bigint)).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    const zod = Object.assign(new Error('[...]'), { name: 'ZodError', issues: [{ path: ['steps', 0, 'offsetMinutes'], message: 'Too small' }] });
    expect(classifyActivityError(zod)).toMatchObject({ type: 'ValidationError', nonRetryable: true, message: 'steps.0.offsetMinutes: Too small' });
  });
});

describe('classifyActivityFailures (the wrapper createActivities applies)', () => {
  /** A database stand-in whose every query fails the way PostgreSQL does. */
  const failingDb = (error: Error) => new Proxy({}, { get: () => () => { throw error; } });
  const deps = (error: Error) => ({ db: failingDb(error), stripe: {} }) as unknown as ActivityDeps;

  it('wraps every activity, keeping its name', () => {
    const all = createActivities(deps(pgError('22021')));
    expect(Object.keys(all).sort()).toEqual(Object.keys({ ...createTopUpActivities(deps(pgError('22021'))), ...createRecoveryActivities(deps(pgError('22021'))), ...all }).sort());
    for (const [name, activity] of Object.entries(all)) {
      expect(typeof activity).toBe('function');
      expect(activity.name).toBe(name);
    }
  });

  it('turns a data error into a non-retryable DatabaseDataError and passes a transient one through unchanged', async () => {
    const poison = createActivities(deps(pgError('22P05', 'unsupported Unicode escape sequence')));
    await expect(poison.loadSchedule({ tenantId: 't1' })).rejects.toMatchObject({
      type: 'DatabaseDataError',
      nonRetryable: true,
      message: 'loadSchedule: PostgreSQL untranslatable_character (SQLSTATE 22P05)',
    });
    const outage = pgError('57P01', 'terminating connection due to administrator command');
    await expect(createActivities(deps(outage)).loadSchedule({ tenantId: 't1' })).rejects.toBe(outage);
  });

  it('keeps callStripe results: a Stripe 4xx stays StripeClientError, a 5xx stays retryable', async () => {
    const stripe4xx = ApplicationFailure.nonRetryable('charges.create failed: card declined', 'StripeClientError');
    const stripe5xx = ApplicationFailure.retryable('charges.create failed: api error', 'StripeTransientError');
    const wrapped = classifyActivityFailures({
      async four() {
        return callStripe('x', () => Promise.reject(stripe4xx));
      },
      async five() {
        throw stripe5xx;
      },
      async ok(input: { n: number }) {
        return input.n + 1;
      },
    });
    await expect(wrapped.four()).rejects.toBe(stripe4xx);
    await expect(wrapped.five()).rejects.toBe(stripe5xx);
    await expect(wrapped.ok({ n: 1 })).resolves.toBe(2);
  });
});

describe('activity retry policy', () => {
  it('backs off on transient errors for a bounded time and never retries the deterministic types', () => {
    const options = activityOptions({ intervalsMs: [1_000, 5_000] });
    expect(options.scheduleToCloseTimeout).toBe('3 days');
    expect(options.retry?.nonRetryableErrorTypes).toEqual(expect.arrayContaining(['DatabaseDataError', 'DatabaseConstraintError', 'InvalidInputError', 'StripeClientError']));
  });
});
