import { ApplicationFailure, log } from '@temporalio/activity';
import { TemporalFailure } from '@temporalio/common';
import { PG_DATA_EXCEPTION_CLASS, PG_INTEGRITY_CONSTRAINT_CLASS, PG_RETRIED_CONSTRAINT_CODES, pgSqlState } from '../src/db/errors.js';
import { DATABASE_CONSTRAINT_ERROR, DATABASE_DATA_ERROR, INVALID_INPUT_ERROR } from '../src/domain/retry/error-types.js';

/** Names of the SQLSTATEs we meet most; others are named by their class. */
const CONDITIONS: Record<string, string> = {
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22004': 'null_value_not_allowed',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22012': 'division_by_zero',
  '22021': 'character_not_in_repertoire',
  '22023': 'invalid_parameter_value',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '23P01': 'exclusion_violation',
};

const MESSAGE_LIMIT = 300;
const JSON_SERIALISATION = /circular structure|circular reference|serialize a BigInt/i;

const clip = (text: string) => (text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT)}…` : text);

interface PgErrorFields {
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
  dataType?: unknown;
}

/**
 * A PostgreSQL error's SQLSTATE and the schema names it points at. Never the server's message or detail: those
 * quote the offending value (an email, a name), and this text ends up in workflow history and event logs.
 */
function databaseFailure(error: PgErrorFields, code: string, type: string, context?: string): ApplicationFailure {
  const name = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const table = name(error.table);
  const column = name(error.column);
  const constraint = name(error.constraint);
  const condition = CONDITIONS[code] ?? (type === DATABASE_DATA_ERROR ? 'data_exception' : 'integrity_constraint_violation');
  const where = [table ? ` on ${table}${column ? `.${column}` : ''}` : '', constraint ? ` (constraint ${constraint})` : ''].join('');
  return ApplicationFailure.create({
    type,
    message: `${context ? `${context}: ` : ''}PostgreSQL ${condition} (SQLSTATE ${code})${where}`,
    nonRetryable: true,
    details: [{ sqlState: code, table: table ?? null, column: column ?? null, constraint: constraint ?? null, dataType: name(error.dataType) ?? null }],
  });
}

function zodSummary(error: unknown): string {
  const issues = (error as { issues?: Array<{ path?: unknown[]; message?: string }> }).issues ?? [];
  const parts = issues.slice(0, 3).map((issue) => `${(issue.path ?? []).map(String).join('.') || '(root)'}: ${issue.message ?? 'invalid'}`);
  return parts.length > 0 ? parts.join('; ') : 'invalid input';
}

/**
 * The non-retryable failure an activity should end with instead of `error` when retrying cannot help, or
 * undefined when it may (connection loss 08xxx, shutdown 57Pxx, serialisation failure 40001, ECONNREFUSED, any
 * unknown error) or was decided already (an ApplicationFailure: callStripe's Stripe classification, our own
 * ValidationError; a cancellation).
 *
 * Deterministic: PostgreSQL data exceptions (class 22) and constraint violations (class 23) except the unique
 * violations repositories resolve by re-reading the winner (a retry finds the committed row); RangeError; values
 * JSON cannot serialise; zod validation errors.
 */
export function classifyActivityError(error: unknown, context?: string): ApplicationFailure | undefined {
  if (error instanceof TemporalFailure) return undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++, current = current.cause) {
    const code = pgSqlState(current);
    if (code !== undefined) {
      const sqlClass = code.slice(0, 2);
      if (sqlClass === PG_DATA_EXCEPTION_CLASS) return databaseFailure(current as PgErrorFields, code, DATABASE_DATA_ERROR, context);
      if (sqlClass === PG_INTEGRITY_CONSTRAINT_CLASS && !PG_RETRIED_CONSTRAINT_CODES.has(code)) {
        return databaseFailure(current as PgErrorFields, code, DATABASE_CONSTRAINT_ERROR, context);
      }
      return undefined;
    }
  }
  if (!(error instanceof Error)) return undefined;
  const prefix = context ? `${context}: ` : '';
  if (error instanceof RangeError) return ApplicationFailure.create({ type: INVALID_INPUT_ERROR, message: clip(`${prefix}RangeError: ${error.message}`), nonRetryable: true });
  if (JSON_SERIALISATION.test(error.message) && (error instanceof TypeError || error.constructor === Error)) {
    return ApplicationFailure.create({ type: INVALID_INPUT_ERROR, message: clip(`${prefix}value cannot be serialised as JSON: ${error.message}`), nonRetryable: true });
  }
  if (error.name === 'ZodError') return ApplicationFailure.create({ type: 'ValidationError', message: clip(`${prefix}${zodSummary(error)}`), nonRetryable: true });
  return undefined;
}

type ActivityFunction = (...args: never[]) => unknown;

/**
 * Every activity, each classified on failure (classifyActivityError): a deterministic error leaves it as a
 * non-retryable ApplicationFailure, so a poison input fails once instead of retrying for days. Names and types
 * are kept; createActivities applies it to all activities, so none is missed.
 */
export function classifyActivityFailures<T extends Record<string, ActivityFunction>>(activities: T): T {
  const wrapped = Object.entries(activities).map(([name, activity]) => {
    const run = async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (error) {
        const failure = classifyActivityError(error, name);
        if (!failure) throw error;
        try {
          log.warn('activity input rejected (not retried)', { activity: name, type: failure.type, error: failure.message });
        } catch {
          // Called outside an activity (a test): nothing to log to.
        }
        throw failure;
      }
    };
    Object.defineProperty(run, 'name', { value: name });
    return [name, run] as const;
  });
  return Object.fromEntries(wrapped) as T;
}
