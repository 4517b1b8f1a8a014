/**
 * Return URLs for the pages the gateway sends a customer to (Checkout, the Customer Portal) are only ever built
 * from an allow-listed frontend origin (ALLOWED_FRONTEND_ORIGINS) or from a URL an admin or operator configured,
 * never from arbitrary input. First match:
 *
 *   1. explicit `success_url`/`cancel_url` (portal: `return_url`) in the body: each must be an absolute http(s)
 *      URL whose origin is in ALLOWED_FRONTEND_ORIGINS (a server calling with an API key has no Origin);
 *   2. the request's Origin, when it is in ALLOWED_FRONTEND_ORIGINS, + the documented paths (FRONTEND_PATHS);
 *   3. the tenant's frontend base URL (PUT /v1/admin/frontend), else FRONTEND_BASE_URL, + the same paths;
 *   4. otherwise 403 origin_required.
 *
 * An Origin header that is present but not allowed is always refused (403 origin_not_allowed).
 */
import type { Request } from 'express';
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import { frontendBaseUrlFor, frontendUrls, withQueryParam } from '../payments/frontend-urls.js';
import { CHECKOUT_SESSION_PLACEHOLDER, withSessionIdPlaceholder, type ReturnUrls } from '../payments/return-urls.js';
import { HttpProblem, problems } from './problem.js';
import { isSafeText, UNSAFE_TEXT_MESSAGE } from './schemas.js';
import { z } from './zod.js';

const returnUrl = (description: string) =>
  z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL like https://app.example.com/done' })
    .max(2000)
    .refine(isSafeText, UNSAFE_TEXT_MESSAGE)
    .optional()
    .openapi({ description, example: 'https://app.example.com/done' });

/**
 * Body fields of a Checkout-starting route (spread them into its body object: `z.object({ ..., ...checkoutReturnUrlFields })`).
 * Both or neither; their origins must be in ALLOWED_FRONTEND_ORIGINS.
 */
export const checkoutReturnUrlFields = {
  success_url: returnUrl(
    'Where Checkout sends the customer after paying (instead of the Origin-based default; for servers calling with an API key). ' +
      'Its origin must be in ALLOWED_FRONTEND_ORIGINS; `session_id={CHECKOUT_SESSION_ID}` is added unless present (a top-up also gets `top_up_id`). Requires cancel_url.',
  ),
  cancel_url: returnUrl('Where Checkout sends the customer who leaves without paying; its origin must be in ALLOWED_FRONTEND_ORIGINS. Requires success_url.'),
};

/** Body field of the billing-portal route. */
export const portalReturnUrlFields = {
  return_url: returnUrl(
    'Where the Customer Portal sends the customer back (instead of the Origin-based default; for servers calling with an API key). Its origin must be in ALLOWED_FRONTEND_ORIGINS.',
  ),
};

export type ReturnPurpose = { kind: 'top_up'; topUpId: string } | { kind: 'subscription' };

export interface ReturnUrlDeps {
  config: Pick<Config, 'ALLOWED_FRONTEND_ORIGINS' | 'FRONTEND_BASE_URL'>;
  db: Db;
}

function normalizedOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function isAllowed(allowed: readonly string[], origin: string): boolean {
  return allowed.some((entry) => entry === origin || normalizedOrigin(entry) === origin);
}

/** An explicit URL from the body: its origin must be allow-listed. */
function checkedUrl(allowed: readonly string[], url: string, field: string): string {
  const origin = normalizedOrigin(url);
  if (!origin || !isAllowed(allowed, origin)) {
    throw new HttpProblem(403, 'return_url_not_allowed', `The origin of ${field} (${origin ?? url}) is not in ALLOWED_FRONTEND_ORIGINS.`);
  }
  return url;
}

/** The base to build the documented paths under: the allowed Origin, else the tenant's or the configured frontend. */
async function frontendBase({ config, db }: ReturnUrlDeps, req: Request, tenantId: string): Promise<string | undefined> {
  const origin = req.header('origin');
  if (origin !== undefined) {
    if (!isAllowed(config.ALLOWED_FRONTEND_ORIGINS, origin)) {
      throw new HttpProblem(403, 'origin_not_allowed', `Origin ${origin} is not in ALLOWED_FRONTEND_ORIGINS.`);
    }
    return origin;
  }
  return (await frontendBaseUrlFor(db, config, tenantId))?.baseUrl;
}

const originRequired = (fields: string) =>
  new HttpProblem(
    403,
    'origin_required',
    `Send an Origin header from an allowed frontend (ALLOWED_FRONTEND_ORIGINS) or ${fields}, or configure a frontend base URL (PUT /v1/admin/frontend or FRONTEND_BASE_URL).`,
  );

/**
 * Success and cancel URLs of a top-up or subscription Checkout Session. `body` is the route's parsed body
 * (`checkoutReturnUrlFields`); `tenantId` the principal's tenant.
 */
export async function checkoutReturnUrls(
  deps: ReturnUrlDeps,
  req: Request,
  tenantId: string,
  body: { success_url?: string | undefined; cancel_url?: string | undefined },
  purpose: ReturnPurpose,
): Promise<ReturnUrls> {
  const allowed = deps.config.ALLOWED_FRONTEND_ORIGINS;
  const origin = req.header('origin');
  if (origin !== undefined && !isAllowed(allowed, origin)) {
    throw new HttpProblem(403, 'origin_not_allowed', `Origin ${origin} is not in ALLOWED_FRONTEND_ORIGINS.`);
  }
  if ((body.success_url === undefined) !== (body.cancel_url === undefined)) {
    const missing = body.success_url === undefined ? 'success_url' : 'cancel_url';
    throw problems.validation([{ field: `body.${missing}`, message: 'success_url and cancel_url go together' }]);
  }
  if (body.success_url !== undefined && body.cancel_url !== undefined) {
    let successUrl = checkedUrl(allowed, body.success_url, 'success_url');
    let cancelUrl = checkedUrl(allowed, body.cancel_url, 'cancel_url');
    if (purpose.kind === 'top_up') {
      successUrl = withQueryParam(successUrl, 'top_up_id', encodeURIComponent(purpose.topUpId));
      cancelUrl = withQueryParam(cancelUrl, 'top_up_id', encodeURIComponent(purpose.topUpId));
    }
    if (!successUrl.includes(CHECKOUT_SESSION_PLACEHOLDER)) successUrl = withSessionIdPlaceholder(successUrl);
    return { successUrl, cancelUrl };
  }
  const base = await frontendBase(deps, req, tenantId);
  if (base === undefined) throw originRequired('pass success_url and cancel_url');
  const urls = frontendUrls(base);
  return purpose.kind === 'top_up' ? urls.topUp(purpose.topUpId) : urls.subscription();
}

/** The Customer Portal's return URL. `body` is the route's parsed body (`portalReturnUrlFields`). */
export async function portalReturnUrl(deps: ReturnUrlDeps, req: Request, tenantId: string, body: { return_url?: string | undefined }): Promise<string> {
  const allowed = deps.config.ALLOWED_FRONTEND_ORIGINS;
  const origin = req.header('origin');
  if (origin !== undefined && !isAllowed(allowed, origin)) {
    throw new HttpProblem(403, 'origin_not_allowed', `Origin ${origin} is not in ALLOWED_FRONTEND_ORIGINS.`);
  }
  if (body.return_url !== undefined) return checkedUrl(allowed, body.return_url, 'return_url');
  const base = await frontendBase(deps, req, tenantId);
  if (base === undefined) throw originRequired('pass return_url');
  return frontendUrls(base).billingPortalReturn();
}
