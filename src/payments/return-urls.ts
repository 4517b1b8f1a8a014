/**
 * Where a customer lands after paying (or abandoning) a tenant's Checkout Session or Payment Link. First match:
 *
 *   1. the tenant's own pages (PUT /v1/admin/payment-pages), `session_id={CHECKOUT_SESSION_ID}` added to the
 *      success URL unless it already carries the placeholder somewhere;
 *   2. the tenant's frontend base URL (PUT /v1/admin/frontend, src/payments/frontend-urls.ts), else
 *      FRONTEND_BASE_URL, + /payments/success?session_id={CHECKOUT_SESSION_ID} and /payments/cancelled;
 *   3. the gateway's own page, PUBLIC_BASE_URL + /pay/return (src/gateway/routes/payment-return.ts), which
 *      shows only the amount and the payment status.
 *
 * `{CHECKOUT_SESSION_ID}` is a Stripe template: Stripe replaces it in the success URL when it redirects, so it
 * must reach Stripe literally. The strings are therefore concatenated by hand; URL / URLSearchParams would
 * percent-encode the braces and Stripe would no longer recognise the placeholder. Stripe documents the
 * placeholder for the success URL only, so cancel URLs never get one added (a tenant may still put it in its own).
 */
import type { Db } from '../db/connection.js';
import { findPaymentPages } from '../db/payment-pages.js';
import { findTenantFrontend } from './frontend-urls.js';

export const CHECKOUT_SESSION_PLACEHOLDER = '{CHECKOUT_SESSION_ID}';

export interface ReturnUrlConfig {
  publicBaseUrl: string;
  frontendBaseUrl?: string;
}

export interface ReturnUrls {
  successUrl: string;
  cancelUrl: string;
}

export type ReturnUrlSource = 'tenant' | 'frontend' | 'gateway';

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/** `url` plus `session_id={CHECKOUT_SESSION_ID}` as a query parameter, before any #fragment; unchanged if it already has the placeholder. */
export function withSessionIdPlaceholder(url: string): string {
  if (url.includes(CHECKOUT_SESSION_PLACEHOLDER)) return url;
  const hashAt = url.indexOf('#');
  const base = hashAt === -1 ? url : url.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}session_id=${CHECKOUT_SESSION_PLACEHOLDER}${fragment}`;
}

/**
 * The defaults when the tenant has set no pages: the frontend's if the tenant has a frontend base URL
 * (`tenantFrontendBaseUrl`) or FRONTEND_BASE_URL is set, else the gateway's page.
 */
export function defaultReturnUrls(
  config: ReturnUrlConfig,
  tenantId: string,
  tenantFrontendBaseUrl?: string,
): ReturnUrls & { source: Exclude<ReturnUrlSource, 'tenant'> } {
  const frontendBase = tenantFrontendBaseUrl ?? config.frontendBaseUrl;
  if (frontendBase) {
    const frontend = withoutTrailingSlash(frontendBase);
    return {
      source: 'frontend',
      successUrl: `${frontend}/payments/success?session_id=${CHECKOUT_SESSION_PLACEHOLDER}`,
      cancelUrl: `${frontend}/payments/cancelled`,
    };
  }
  const page = `${withoutTrailingSlash(config.publicBaseUrl)}/pay/return?tenant=${encodeURIComponent(tenantId)}`;
  return {
    source: 'gateway',
    successUrl: `${page}&session_id=${CHECKOUT_SESSION_PLACEHOLDER}`,
    cancelUrl: `${page}&outcome=cancelled`,
  };
}

/** Like returnUrlsFor, also naming which rule chose the URLs (GET /v1/admin/payment-pages shows it). */
export async function resolveReturnUrls(db: Db, config: ReturnUrlConfig, tenantId: string): Promise<ReturnUrls & { source: ReturnUrlSource }> {
  const pages = await findPaymentPages(db, tenantId);
  if (pages) return { source: 'tenant', successUrl: withSessionIdPlaceholder(pages.successUrl), cancelUrl: pages.cancelUrl };
  return defaultReturnUrls(config, tenantId, (await findTenantFrontend(db, tenantId))?.baseUrl);
}

/**
 * For a Checkout Session or Payment Link redirect of a tenant's item. Stripe replaces {CHECKOUT_SESSION_ID}.
 * The item does not change the URLs today (the landing page looks the session up by its id); it is part of the
 * signature so per-item pages can be added without touching the callers.
 */
export async function returnUrlsFor(db: Db, config: ReturnUrlConfig, tenantId: string, _item: { kind: string; ref: string }): Promise<ReturnUrls> {
  const { successUrl, cancelUrl } = await resolveReturnUrls(db, config, tenantId);
  return { successUrl, cancelUrl };
}

/** The ReturnUrlConfig of the gateway/worker Config. */
export function returnUrlConfig(config: { PUBLIC_BASE_URL: string; FRONTEND_BASE_URL?: string | undefined }): ReturnUrlConfig {
  return { publicBaseUrl: config.PUBLIC_BASE_URL, ...(config.FRONTEND_BASE_URL ? { frontendBaseUrl: config.FRONTEND_BASE_URL } : {}) };
}
