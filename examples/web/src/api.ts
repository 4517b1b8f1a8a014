/**
 * The gateway, through the typed client. The API key lives in sessionStorage: this tab only, gone when it closes,
 * never in localStorage or a cookie. (A real app would use a short-lived JWT from its own login here: pass
 * `token: () => session.accessToken`.)
 */
import { createPaymentsClient, type PaymentsClient, type Problem } from 'payments-orchestrator/client';

const KEY_STORAGE = 'payments.apiKey';

/** The gateway's origin, fixed at build time (`VITE_PAYMENTS_API_URL`); `npm start` serves it on :4000. */
export const API_URL: string = import.meta.env.VITE_PAYMENTS_API_URL ?? 'http://localhost:4000';

export function apiKey(): string {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

export function setApiKey(key: string): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** The token function runs before each request, so a key entered later applies without a reload. */
export const payments: PaymentsClient = createPaymentsClient({ baseUrl: API_URL, token: apiKey });

/** A thrown error the page shows as it is. */
export class ApiError extends Error {}

type Result<T> = { data?: T; error?: Problem | unknown; response: Response };

/**
 * The answer's data, or an ApiError naming what went wrong. `fetch` itself rejecting means the browser never
 * got a readable answer: the gateway is down, or it sent no CORS headers for this origin (not in
 * ALLOWED_FRONTEND_ORIGINS), which the page cannot tell apart.
 */
export async function call<T>(request: () => Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await request();
  } catch (cause) {
    throw new ApiError(
      `Could not reach the payments API at ${API_URL}: the request was blocked or failed (is the gateway running, and is ` +
        `${location.origin} in its ALLOWED_FRONTEND_ORIGINS?). ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  if (result.data !== undefined) return result.data;
  const problem = result.error as Partial<Problem> | undefined;
  const requestId = result.response.headers.get('x-request-id');
  throw new ApiError(
    `${result.response.status} ${problem?.code ?? result.response.statusText}: ${problem?.detail ?? 'no detail'}` +
      (requestId ? ` (request ${requestId})` : ''),
  );
}

/** `1050` minor units of `usd` (exponent 2) → "$10.50". */
export function formatMoney(minor: number, currency: string, exponent: number): string {
  const major = minor / 10 ** exponent;
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency: currency.toUpperCase(),
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    }).format(major);
  } catch {
    return `${major.toFixed(exponent)} ${currency.toUpperCase()}`;
  }
}

/** Decimal places per currency for amounts the API gives without an exponent (balances). */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);
export function exponentOf(currency: string): number {
  const code = currency.toLowerCase();
  return ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2;
}
