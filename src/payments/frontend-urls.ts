/**
 * Where the tenant's web app takes the customer back after the gateway hands them to Stripe (top-up and
 * subscription Checkout, the Customer Portal) or after Stripe Connect onboarding. The base URL, first match:
 *
 *   1. the tenant's own base URL (PUT /v1/admin/frontend, table tenant_frontends);
 *   2. FRONTEND_BASE_URL;
 *   3. none: the caller's Origin or explicit success_url/cancel_url are needed (src/gateway/origin.ts), and the
 *      Connect callback shows the gateway's own result page.
 *
 * Under that base, fixed paths (FRONTEND_PATHS) the frontend implements. `{CHECKOUT_SESSION_ID}` stays literal
 * (Stripe replaces it; see return-urls.ts).
 */
import { sql } from 'kysely';
import type { Db } from '../db/connection.js';
import type { DbExecutor } from '../db/schema.js';
import { CHECKOUT_SESSION_PLACEHOLDER } from './return-urls.js';

/** The paths under the frontend base URL; documented in the README ("CORS and return URLs") and by GET /v1/admin/frontend. */
export const FRONTEND_PATHS = {
  topUpSuccess: '/credits/top-ups/success',
  topUpCancel: '/credits/top-ups/cancelled',
  subscriptionSuccess: '/subscriptions/success',
  subscriptionCancel: '/subscriptions/cancelled',
  billingPortalReturn: '/account/billing',
  connectResult: '/connect/stripe/result',
} as const;

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/** The return URLs under a base: an allowed Origin, the tenant's base URL or FRONTEND_BASE_URL. */
export function frontendUrls(base: string) {
  const root = withoutTrailingSlash(base);
  return {
    topUp: (topUpId: string) => ({
      successUrl: `${root}${FRONTEND_PATHS.topUpSuccess}?top_up_id=${encodeURIComponent(topUpId)}&session_id=${CHECKOUT_SESSION_PLACEHOLDER}`,
      cancelUrl: `${root}${FRONTEND_PATHS.topUpCancel}?top_up_id=${encodeURIComponent(topUpId)}`,
    }),
    subscription: () => ({
      successUrl: `${root}${FRONTEND_PATHS.subscriptionSuccess}?session_id=${CHECKOUT_SESSION_PLACEHOLDER}`,
      cancelUrl: `${root}${FRONTEND_PATHS.subscriptionCancel}`,
    }),
    billingPortalReturn: () => `${root}${FRONTEND_PATHS.billingPortalReturn}`,
    /** `?status=connected`, or `?status=error&code=<problem code>`. */
    connectResult: (result: { status: 'connected' } | { status: 'error'; code: string }) =>
      `${root}${FRONTEND_PATHS.connectResult}?status=${result.status}${result.status === 'error' ? `&code=${encodeURIComponent(result.code)}` : ''}`,
  };
}

/** `url` with `name=value` appended to its query (before any #fragment); unchanged if it already has `name=`. */
export function withQueryParam(url: string, name: string, value: string): string {
  const hashAt = url.indexOf('#');
  const base = hashAt === -1 ? url : url.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const queryAt = base.indexOf('?');
  if (queryAt !== -1 && base.slice(queryAt + 1).split('&').some((part) => part.startsWith(`${name}=`))) return url;
  const separator = queryAt === -1 ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${name}=${value}${fragment}`;
}

export interface TenantFrontend {
  baseUrl: string;
  updatedAt: string;
}

export async function findTenantFrontend(db: DbExecutor, tenantId: string): Promise<TenantFrontend | undefined> {
  const { rows } = await sql<{ base_url: string; updated_at: Date }>`
    select base_url, updated_at from tenant_frontends where tenant_id = ${tenantId}`.execute(db);
  const row = rows[0];
  return row ? { baseUrl: row.base_url, updatedAt: row.updated_at.toISOString() } : undefined;
}

/** Sets (or, with null, removes) the tenant's frontend base URL; the caller has validated it. */
export async function saveTenantFrontend(db: DbExecutor, tenantId: string, baseUrl: string | null): Promise<TenantFrontend | undefined> {
  if (baseUrl === null) {
    await sql`delete from tenant_frontends where tenant_id = ${tenantId}`.execute(db);
    return undefined;
  }
  const { rows } = await sql<{ base_url: string; updated_at: Date }>`
    insert into tenant_frontends (tenant_id, base_url, updated_at) values (${tenantId}, ${baseUrl}, now())
    on conflict (tenant_id) do update set base_url = excluded.base_url, updated_at = excluded.updated_at
    returning base_url, updated_at`.execute(db);
  const row = rows[0]!;
  return { baseUrl: row.base_url, updatedAt: row.updated_at.toISOString() };
}

export type FrontendSource = 'tenant' | 'config';

/** The tenant's frontend base URL, else FRONTEND_BASE_URL, else undefined. */
export async function frontendBaseUrlFor(
  db: Db,
  config: { FRONTEND_BASE_URL?: string | undefined },
  tenantId: string | undefined,
): Promise<{ baseUrl: string; source: FrontendSource } | undefined> {
  const tenant = tenantId === undefined ? undefined : await findTenantFrontend(db, tenantId);
  if (tenant) return { baseUrl: tenant.baseUrl, source: 'tenant' };
  if (config.FRONTEND_BASE_URL) return { baseUrl: config.FRONTEND_BASE_URL, source: 'config' };
  return undefined;
}
