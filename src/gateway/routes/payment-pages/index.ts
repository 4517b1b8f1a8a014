/**
 * Admin setting: where the tenant's customers land after a Checkout Session or Payment Link.
 * Precedence and the {CHECKOUT_SESSION_ID} handling: src/payments/return-urls.ts.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { findPaymentPages, savePaymentPages } from '../../../db/payment-pages.js';
import { defaultReturnUrls, returnUrlConfig, withSessionIdPlaceholder } from '../../../payments/return-urls.js';
import { jsonResponse, problemResponse, routerFromTable, type Handlers, type RouteContract, type RouteDeps, type RouteTable } from '../../route.js';
import { isSafeText, UNSAFE_TEXT_MESSAGE } from '../../schemas.js';
import { z } from '../../zod.js';

const table: RouteTable<typeof contracts> = [
  // The stored pages, or the defaults in force (source: tenant | frontend | gateway).
  { method: 'get', path: '/v1/admin/payment-pages', access: 'admin', handler: 'getPages' },
  { method: 'put', path: '/v1/admin/payment-pages', access: 'admin', writes: true, handler: 'savePages' },
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
      description: "tenant: the pages saved here; frontend: FRONTEND_BASE_URL's defaults; gateway: the gateway's own /pay/return page",
    }),
    success_url: z.string(),
    cancel_url: z.string(),
    updated_at: z.string().nullable(),
    effective: z
      .object({ success_url: z.string(), cancel_url: z.string() })
      .openapi({ description: 'What Checkout Sessions get; Stripe replaces {CHECKOUT_SESSION_ID}' }),
  })
  .openapi('PaymentPages');

const contracts = {
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

function paymentPageHandlers({ config, db }: RouteDeps): Handlers<typeof contracts> {
  const urlConfig = returnUrlConfig(config);
  return {
    async getPages({ principal }, res) {
      const pages = await findPaymentPages(db, principal.tenantId);
      if (pages) {
        res.json(tenantPagesJson(pages));
        return;
      }
      const defaults = defaultReturnUrls(urlConfig, principal.tenantId);
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
