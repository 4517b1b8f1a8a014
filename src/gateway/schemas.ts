/**
 * The pieces every route builds its schemas and answers from, in one place. Pure: no I/O.
 *
 * Request side (bodies, queries, params, headers):
 * - text():            no NUL, no unpaired UTF-16 surrogate (PostgreSQL and Temporal's payload codec refuse both), bounded
 * - currency:          a supported ISO 4217 code (src/money.ts), lower-cased; else 400 `unsupported_currency`
 * - minorUnits(max):   a safe positive integer in minor units, at most MAX_MINOR_UNITS unless a route says less
 * - idempotencyKey:    1–255 printable ASCII characters; else 400 `invalid_idempotency_key`
 * - idempotencyHeaders(description): the headers schema of a route that honours Idempotency-Key
 * - metadataMap:       string → string, keys and values as text(), at most 20 keys
 * - walletAccountId, e164Phone, pageLimit(): fields several routes share
 *
 * Answer side: digest() for ids and keys derived from caller input; isoFromMs() / isoFromSeconds() for timestamps.
 *
 * A failed check that carries `params.problem` makes addRoute answer with that code instead of `validation_failed`.
 */
import { createHash } from 'node:crypto';
import type { ZodError } from 'zod';
import { isSupportedCurrency, supportedCurrencies } from '../domain/money.js';
import { z } from './zod.js';

/** Where a refinement names the problem code clients get instead of `validation_failed`. */
export const PROBLEM_PARAM = 'problem';

/** A NUL character, or a surrogate half without its partner. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isSafeText(value: string): boolean {
  return !UNSAFE_TEXT.test(value);
}

export const UNSAFE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/**
 * Free text or an opaque identifier. `trim` for human-written text (memo, reason, name), where surrounding
 * whitespace carries no meaning; identifiers are kept exactly as given.
 */
export function text(options: { max: number; min?: number; trim?: boolean }) {
  const base = options.trim ? z.string().trim() : z.string();
  const bounded = options.min ? base.min(options.min).max(options.max) : base.max(options.max);
  return bounded.refine(isSafeText, UNSAFE_TEXT_MESSAGE);
}

const CURRENCY_SHAPE = /^[A-Za-z]{3}$/;
const SUPPORTED = supportedCurrencies();

/** A supported ISO 4217 code in any case, lower-cased: `USD` → `usd`. Unknown codes answer 400 `unsupported_currency`. */
export const currency = z
  .string()
  .regex(CURRENCY_SHAPE, 'must be an ISO 4217 code such as usd')
  .refine((code) => !CURRENCY_SHAPE.test(code) || isSupportedCurrency(code), {
    message: `not a supported currency (supported: ${SUPPORTED.join(', ')})`,
    params: { [PROBLEM_PARAM]: 'unsupported_currency' },
  })
  .transform((code) => code.toLowerCase())
  .openapi({ example: 'usd', description: `ISO 4217, case-insensitive; one of ${SUPPORTED.join(', ')}` });

/** 10^12 - 1 minor units: ten billion dollars; keeps sums of many amounts far inside the safe integer range. */
export const MAX_MINOR_UNITS = 999_999_999_999;

/** A positive amount in the currency's minor units (cents; yen for JPY). */
export function minorUnits(max = MAX_MINOR_UNITS) {
  return z.number().int('must be an integer in minor units').positive().max(max);
}

/** Like minorUnits() but zero allowed (a free line item, a price granting no credits). */
export function nonNegativeMinorUnits(max = MAX_MINOR_UNITS) {
  return z.number().int('must be an integer in minor units').min(0).max(max);
}

/** 1–255 printable ASCII characters (space to tilde). An empty header is an error, never "no key". */
export const idempotencyKey = z
  .string()
  .refine((value) => /^[\x20-\x7E]{1,255}$/.test(value), {
    message: 'must be 1-255 printable ASCII characters',
    params: { [PROBLEM_PARAM]: 'invalid_idempotency_key' },
  })
  .openapi({ minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]{1,255}$' });

/** The `headers` schema of a route that honours Idempotency-Key (addRoute validates it). */
export function idempotencyHeaders(description: string) {
  return z.object({ 'idempotency-key': idempotencyKey.optional().openapi({ description }) });
}

/** Caller metadata stored with a record (and sent on to Stripe): at most 20 keys of ≤40, values of ≤500 characters. */
export const metadataMap = z
  .record(text({ min: 1, max: 40 }), text({ max: 500 }))
  .refine((value) => Object.keys(value).length <= 20, 'at most 20 keys');

/** The problem code a failed parse asks for, if any of its issues names one. */
export function problemCodeOf(error: ZodError): string | undefined {
  for (const issue of error.issues as { code: string; params?: Record<string, unknown> }[]) {
    const code = issue.code === 'custom' ? issue.params?.[PROBLEM_PARAM] : undefined;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The wallet a request acts on (see resolveAccountId). */
export const walletAccountId = text({ min: 1, max: 200 })
  .optional()
  .openapi({ description: 'Wallet to act on (API keys only; JWT users act on their own).' });

/** A phone number in E.164 form. */
export const e164Phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +4915112345678');

/** A list's `limit` query parameter: 1..max, `fallback` when absent. */
export function pageLimit(fallback: number, max = 100) {
  return z.coerce.number().int().min(1).max(max).default(fallback);
}

/** A short, stable hash of caller-supplied parts (NUL-separated, so ("ab","c") and ("a","bc") differ): 32 hex. */
export function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** A JavaScript timestamp (milliseconds since the epoch) as ISO 8601; null and undefined stay null. */
export function isoFromMs(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** A Unix timestamp (seconds since the epoch, as Stripe sends them) as ISO 8601; null stays null. */
export function isoFromSeconds(seconds: number | null): string | null {
  return seconds === null ? null : new Date(seconds * 1000).toISOString();
}
