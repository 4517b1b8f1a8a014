import { IMPORT_ID_PATTERN } from '../../../invoices/imports.js';
import { currency, idempotencyHeaders, isSafeText, minorUnits, nonNegativeMinorUnits, pageLimit, text } from '../../schemas.js';
import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { z } from '../../zod.js';
import { itemExcessPaymentsJson } from '../excess-payments/index.js';

const INVOICE_STATUSES = ['draft', 'pending', 'paid', 'cancelled'] as const;

const invoiceId = z.string().regex(/^(inv_[0-9a-f]{32}|in_[A-Za-z0-9_]{1,200})$/, 'not an invoice id');
const clientId = z.string().regex(/^cli_[0-9a-f]{24}$/, 'not a client id');
const dateOrDateTime = z
  .string()
  .max(64)
  .refine((value) => /^\d{4}-\d{2}-\d{2}(T.+)?$/.test(value) && isSafeText(value) && !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 date or date-time')
  .openapi({ example: '2026-12-31' });

/** An end user, as the JWT subject names them. */
const userId = text({ min: 1, max: 200 });
const clientJson = z
  .object({ id: z.string(), email: z.string().nullable(), name: z.string().nullable(), user_id: z.string().nullable() })
  .openapi('InvoiceClient');

const lineItem = z
  .object({
    description: text({ min: 1, max: 500, trim: true }),
    quantity: z.number().int().positive().max(1_000_000).default(1),
    unit_amount: nonNegativeMinorUnits(),
  })
  .strict();

const createBody = z
  .object({
    client_id: clientId.optional(),
    client: z
      .object({
        email: z.email().max(320),
        name: text({ min: 1, max: 200, trim: true }).optional(),
        user_id: userId.optional().openapi({ description: 'Links the client to this end user (JWT subject): they see its invoices.' }),
      })
      .strict()
      .optional(),
    line_items: z.array(lineItem).min(1).max(100).optional(),
    amount: minorUnits().optional().openapi({ description: 'Total in minor units, instead of line_items.' }),
    currency,
    due_date: dateOrDateTime.optional(),
    memo: text({ max: 2000, trim: true }).optional(),
  })
  .strict()
  .refine((body) => (body.client_id === undefined) !== (body.client === undefined), { message: 'give exactly one of client_id or client', path: ['client'] })
  .refine((body) => (body.line_items === undefined) !== (body.amount === undefined), { message: 'give exactly one of line_items or amount', path: ['amount'] })
  .openapi('CreateInvoice');

const invoiceJson = z
  .object({
    id: z.string(),
    source: z.enum(['stripe', 'manual']),
    stripe_invoice_id: z.string().nullable(),
    client_id: z.string().nullable(),
    status: z.enum(INVOICE_STATUSES),
    overdue: z.boolean(),
    overdue_reason: z.enum(['due_date_passed', 'payment_failed']).nullable(),
    amount_due: z.number().int(),
    amount_paid: z.number().int(),
    currency: z.string(),
    due_at: z.string().nullable(),
    paid_at: z.string().nullable(),
    memo: z.string().nullable(),
    payment_link_url: z.string().nullable(),
    line_items: z.array(z.object({ description: z.string(), quantity: z.number().int(), unit_amount: z.number().int(), amount: z.number().int() })),
    created_at: z.string(),
  })
  .openapi('Invoice');
const invoicePage = z.object({ data: z.array(invoiceJson), next_cursor: z.string().nullable() }).openapi('InvoicePage');
const invoiceDetailJson = invoiceJson
  .extend({
    excess_payments: itemExcessPaymentsJson,
  })
  .openapi('InvoiceDetail');
const paymentLinkJson = z.object({ invoice_id: z.string(), payment_link_id: z.string(), url: z.string() }).openapi('InvoicePaymentLink');

const startImportBody = z
  .object({
    since: dateOrDateTime.openapi({ description: 'Import Stripe invoices created at or after this time.', example: '2026-01-01T00:00:00Z' }),
    page_size: z.number().int().min(1).max(100).optional().openapi({ description: 'Invoices per Stripe page (default 100).' }),
  })
  .strict()
  .openapi('StartInvoiceImport');
const importStarted = z.object({ id: z.string(), status_url: z.string() }).openapi('InvoiceImportStarted');
const importJson = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    since: z.string(),
    pages: z.number().int(),
    listed: z.number().int(),
    imported: z.number().int().openapi({ description: 'New or changed invoices handed to their invoice workflow.' }),
    skipped: z.number().int().openapi({ description: 'Unchanged invoices (already up to date).' }),
    ignored: z.number().int().openapi({ description: 'Platform-account invoices of other tenants (metadata tenant_id).' }),
    failed: z.number().int(),
    progress: z.number().openapi({ description: 'Share of the time range [since, newest invoice] covered so far, 0..1.' }),
    newest_created_at: z.string().nullable(),
    oldest_created_at: z.string().nullable(),
    failures: z.array(z.object({ invoice_id: z.string(), error: z.string() })),
    error: z.string().nullable(),
  })
  .openapi('InvoiceImport');

export const contracts = {
  createInvoice: {
    summary: 'Create a manual invoice',
    body: createBody,
    headers: idempotencyHeaders('Replays with the same key return the original invoice; another request with it answers 422.'),
    idempotent: true,
    responses: {
      201: jsonResponse('Invoice created', invoiceJson),
      200: jsonResponse('Replay of an earlier request with the same Idempotency-Key', invoiceJson),
      400: problemResponse('Invalid invoice'),
      404: problemResponse('Unknown client_id'),
      409: problemResponse('client_user_mismatch: the client with this email is linked to another user'),
      503: problemResponse('Temporal unavailable; retry with the same Idempotency-Key'),
    },
  },
  listInvoices: {
    summary: "Invoices, newest first, cursor-paginated (end users: their linked clients' only)",
    query: z.object({
      status: z.enum(INVOICE_STATUSES).optional(),
      client_id: text({ max: 100 }).optional(),
      overdue: z.enum(['true', 'false']).optional(),
      created_from: dateOrDateTime.optional().openapi({ description: 'Created at or after (inclusive).' }),
      created_to: dateOrDateTime.optional().openapi({ description: 'Created before (exclusive).' }),
      limit: pageLimit(25),
      cursor: text({ max: 500 }).optional(),
    }),
    responses: { 200: jsonResponse('A page of invoices', invoicePage) },
  },
  getInvoice: {
    summary: 'One invoice',
    params: z.object({ id: invoiceId }),
    responses: { 200: jsonResponse('The invoice', invoiceDetailJson), 404: problemResponse('Unknown invoice') },
  },
  linkClient: {
    summary: "Link an invoice client to an end user (or unlink it with null): they see the client's invoices",
    params: z.object({ id: clientId }),
    body: z.object({ user_id: userId.nullable() }).strict().openapi('UpdateInvoiceClient'),
    responses: { 200: jsonResponse('The client', clientJson), 403: problemResponse('Needs an API key or an admin user'), 404: problemResponse('Unknown client') },
  },
  voidInvoice: {
    summary: 'Void a manual invoice (its Payment Link is deactivated)',
    params: z.object({ id: invoiceId }),
    responses: {
      200: jsonResponse('Voided (or already void)', invoiceJson),
      404: problemResponse('Unknown invoice'),
      409: problemResponse('invoice_paid: a paid invoice cannot be voided'),
      422: problemResponse('invoice_not_manual: void Stripe invoices in Stripe'),
    },
  },
  createPaymentLink: {
    summary: 'Create (once) and return the Stripe Payment Link of a manual invoice',
    params: z.object({ id: invoiceId }),
    responses: {
      201: jsonResponse('Payment Link created', paymentLinkJson),
      200: jsonResponse('The existing Payment Link', paymentLinkJson),
      404: problemResponse('Unknown invoice'),
      409: problemResponse('invoice_paid or invoice_cancelled'),
      422: problemResponse('invoice_not_manual: Stripe-sourced invoices are paid through Stripe'),
      502: problemResponse('Stripe refused to create the Payment Link'),
      503: problemResponse('Temporal unavailable; retry (idempotent)'),
    },
  },
  startImport: {
    summary: 'Import (backfill and reconcile) the Stripe invoices created since a time',
    body: startImportBody,
    headers: idempotencyHeaders('Replays with the same key and since return the same import; another request with it answers 422.'),
    idempotent: true,
    responses: {
      202: jsonResponse('Import started (or the existing one for this Idempotency-Key)', importStarted),
      400: problemResponse('Invalid since'),
      503: problemResponse('Temporal unavailable; retry with the same Idempotency-Key'),
    },
  },
  getImport: {
    summary: 'Progress of an invoice import: pages, imported, skipped, ignored, failed',
    params: z.object({ id: z.string().regex(IMPORT_ID_PATTERN, 'not an import id') }),
    responses: {
      200: jsonResponse('The import', importJson),
      404: problemResponse('Unknown import'),
      503: problemResponse('Temporal (or, while it runs, the worker) unavailable; retry shortly'),
    },
  },
} satisfies Record<string, RouteContract>;
