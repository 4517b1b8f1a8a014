/**
 * Admin settings: where the tenant's customers land after a Checkout Session or Payment Link (payment pages), and
 * the base URL of the tenant's web app (frontend: top-up, subscription, billing-portal and Connect return pages).
 * Precedence and the {CHECKOUT_SESSION_ID} handling: src/payments/return-urls.ts, src/payments/frontend-urls.ts.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { findPaymentPages, savePaymentPages } from '../../../db/payment-pages.js';
import { FRONTEND_PATHS, findTenantFrontend, frontendBaseUrlFor, frontendUrls, saveTenantFrontend } from '../../../payments/frontend-urls.js';
import { defaultReturnUrls, returnUrlConfig, withSessionIdPlaceholder } from '../../../payments/return-urls.js';
import { jsonResponse, problemResponse, routerFromTable, type Handlers, type RouteContract, type RouteDeps, type RouteTable } from '../../route.js';
import { isSafeText, UNSAFE_TEXT_MESSAGE } from '../../schemas.js';
import { z } from '../../zod.js';

const table: RouteTable<typeof contracts> = [
  // The stored pages, or the defaults in force (source: tenant | frontend | gateway).
  { method: 'get', path: '/v1/admin/payment-pages', access: 'admin', handler: 'getPages' },
  { method: 'put', path: '/v1/admin/payment-pages', access: 'admin', writes: true, handler: 'savePages' },
  // The tenant's web app: its base URL (or FRONTEND_BASE_URL's) and the return pages under it.
  { method: 'get', path: '/v1/admin/frontend', access: 'admin', handler: 'getFrontend' },
  { method: 'put', path: '/v1/admin/frontend', access: 'admin', writes: true, handler: 'saveFrontend' },
];

const pageUrl = z
  .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL like https://shop.example.com/thanks' })
  .max(2000)
  .refine(isSafeText, UNSAFE_TEXT_MESSAGE)
  .openapi({ example: 'https://shop.example.com/thanks' });

const pagesBody = z
  .object({
    success_url: pageUrl.openapi({
      description: 'After a completed payment. `session_id={CHECKOUT_SESSION_ID}` is added unless the URL already contains `{CHECKOUT_SESSION_ID}`.',
    }),
    cancel_url: pageUrl.openapi({ description: 'When the customer leaves the payment page without paying; used as given.' }),
  })
  .strict()
  .openapi('PaymentPagesInput');

const pagesResponse = z
  .object({
    source: z.enum(['tenant', 'frontend', 'gateway']).openapi({
      description:
        "tenant: the pages saved here; frontend: the defaults under the tenant's frontend base URL (PUT /v1/admin/frontend) or FRONTEND_BASE_URL; gateway: the gateway's own /pay/return page",
    }),
    success_url: z.string(),
    cancel_url: z.string(),
    updated_at: z.string().nullable(),
    effective: z
      .object({ success_url: z.string(), cancel_url: z.string() })
      .openapi({ description: 'What Checkout Sessions get; Stripe replaces {CHECKOUT_SESSION_ID}' }),
  })
  .openapi('PaymentPages');

const frontendBody = z
  .object({
    base_url: z
      .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL like https://app.example.com' })
      .max(500)
      .refine(isSafeText, UNSAFE_TEXT_MESSAGE)
      .refine((url) => !url.includes('?') && !url.includes('#'), 'must not have a query or fragment')
      .nullable()
      .openapi({ description: "The tenant's web app, e.g. https://app.example.com or https://example.com/app; null removes it (FRONTEND_BASE_URL applies again)." }),
  })
  .strict()
  .openapi('FrontendInput');

// Not a named component: a $ref'd component with .nullable() loses its null in the generated document.
const frontendPaths = () =>
  z.object({
    top_up_success: z.string(),
    top_up_cancel: z.string(),
    subscription_success: z.string(),
    subscription_cancel: z.string(),
    billing_portal_return: z.string(),
    connect_result: z.string(),
  });

const frontendResponse = z
  .object({
    source: z.enum(['tenant', 'config', 'none']).openapi({
      description: 'tenant: the base URL saved here; config: FRONTEND_BASE_URL; none: neither (browser callers still get URLs from their allowed Origin)',
    }),
    base_url: z.string().nullable(),
    updated_at: z.string().nullable(),
    paths: frontendPaths().openapi({
      description:
        'The pages under the base URL the frontend implements. Top-up: ?top_up_id=<id>&session_id=<Checkout Session>; subscription success: ?session_id=...; ' +
        'Connect result: ?status=connected or ?status=error&code=<problem code>.',
    }),
    urls: frontendPaths().nullable().openapi({ description: 'The full URLs under base_url (top-up ones with a <top_up_id> placeholder); null without a base URL' }),
  })
  .openapi('Frontend');

const contracts = {
  getFrontend: {
    summary: "The tenant's web app base URL and the return pages under it (top-ups, subscriptions, billing portal, Connect)",
    responses: { 200: jsonResponse('The base URL in force and the paths', frontendResponse), 403: problemResponse('Not an admin') },
  },
  saveFrontend: {
    summary: "Set (or with null remove) the tenant's web app base URL; it overrides FRONTEND_BASE_URL for this tenant",
    body: frontendBody,
    responses: {
      200: jsonResponse('Saved', frontendResponse),
      400: problemResponse('Not an absolute http(s) URL without query or fragment, or longer than 500 characters'),
      403: problemResponse('Not an admin'),
    },
  },
  getPages: {
    summary: "Where the tenant's customers land after paying or cancelling (the defaults until pages are saved)",
    responses: { 200: jsonResponse('The pages and where they come from', pagesResponse), 403: problemResponse('Not an admin') },
  },
  savePages: {
    summary: "Set the tenant's success and cancel pages for Checkout Sessions and Payment Links (recovery links, transactions)",
    body: pagesBody,
    responses: {
      200: jsonResponse('Saved', pagesResponse),
      400: problemResponse('Not absolute http(s) URLs, or longer than 2000 characters'),
      403: problemResponse('Not an admin'),
    },
  },
} satisfies Record<string, RouteContract>;

type PagesJson = z.infer<typeof pagesResponse>;

function tenantPagesJson(pages: { successUrl: string; cancelUrl: string; updatedAt: string }): PagesJson {
  return {
    source: 'tenant',
    success_url: pages.successUrl,
    cancel_url: pages.cancelUrl,
    updated_at: pages.updatedAt,
    effective: { success_url: withSessionIdPlaceholder(pages.successUrl), cancel_url: pages.cancelUrl },
  };
}

const PATHS_JSON = {
  top_up_success: FRONTEND_PATHS.topUpSuccess,
  top_up_cancel: FRONTEND_PATHS.topUpCancel,
  subscription_success: FRONTEND_PATHS.subscriptionSuccess,
  subscription_cancel: FRONTEND_PATHS.subscriptionCancel,
  billing_portal_return: FRONTEND_PATHS.billingPortalReturn,
  connect_result: FRONTEND_PATHS.connectResult,
};

function frontendJson(base: { baseUrl: string; source: 'tenant' | 'config'; updatedAt?: string } | undefined): z.infer<typeof frontendResponse> {
  if (!base) return { source: 'none', base_url: null, updated_at: null, paths: PATHS_JSON, urls: null };
  const urls = frontendUrls(base.baseUrl);
  const topUp = urls.topUp('<top_up_id>');
  const subscription = urls.subscription();
  return {
    source: base.source,
    base_url: base.baseUrl,
    updated_at: base.updatedAt ?? null,
    paths: PATHS_JSON,
    urls: {
      top_up_success: topUp.successUrl,
      top_up_cancel: topUp.cancelUrl,
      subscription_success: subscription.successUrl,
      subscription_cancel: subscription.cancelUrl,
      billing_portal_return: urls.billingPortalReturn(),
      connect_result: urls.connectResult({ status: 'connected' }),
    },
  };
}

function paymentPageHandlers({ config, db }: RouteDeps): Handlers<typeof contracts> {
  const urlConfig = returnUrlConfig(config);
  return {
    async getFrontend({ principal }, res) {
      const tenant = await findTenantFrontend(db, principal.tenantId);
      if (tenant) {
        res.json(frontendJson({ ...tenant, source: 'tenant' }));
        return;
      }
      res.json(frontendJson(await frontendBaseUrlFor(db, config, undefined)));
    },

    async saveFrontend({ body, principal }, res) {
      const saved = await saveTenantFrontend(db, principal.tenantId, body.base_url);
      res.json(frontendJson(saved ? { ...saved, source: 'tenant' } : await frontendBaseUrlFor(db, config, undefined)));
    },

    async getPages({ principal }, res) {
      const pages = await findPaymentPages(db, principal.tenantId);
      if (pages) {
        res.json(tenantPagesJson(pages));
        return;
      }
      const defaults = defaultReturnUrls(urlConfig, principal.tenantId, (await findTenantFrontend(db, principal.tenantId))?.baseUrl);
      res.json({
        source: defaults.source,
        success_url: defaults.successUrl,
        cancel_url: defaults.cancelUrl,
        updated_at: null,
        effective: { success_url: defaults.successUrl, cancel_url: defaults.cancelUrl },
      } satisfies PagesJson);
    },

    async savePages({ body, principal }, res) {
      const saved = await savePaymentPages(db, principal.tenantId, { successUrl: body.success_url, cancelUrl: body.cancel_url });
      res.json(tenantPagesJson(saved));
    },
  };
}

export function paymentPageRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Admin'], table, contracts, handlers: paymentPageHandlers(deps) });
}
