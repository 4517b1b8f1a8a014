import { createHash, randomBytes } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { Router } from 'express';
import { findClient, findOrCreateClientByEmail, setClientUser, type ClientRecord } from '../../db/clients.js';
import { findInvoice, insertManualInvoice, listInvoices, voidManualInvoice, type InvoiceDetails } from '../../db/invoices.js';
import { IMPORT_ID_PATTERN, invoiceImportJson, readInvoiceImport, startInvoiceImport } from '../../invoices/imports.js';
import { updateFailureType } from '../../temporal/errors.js';
import { retryScheduleFromConfig } from '../../temporal/retry.js';
import { invoiceWorkflowId } from '../../temporal/workflow-ids.js';
import {
  createPaymentLinkUpdate,
  INVOICE_CANCELLED_ERROR,
  INVOICE_NOT_MANUAL_ERROR,
  INVOICE_PAID_ERROR,
  INVOICE_UNKNOWN_ERROR,
  invoiceEventSignal,
  invoiceWorkflow,
} from '../../../workflows/invoice.js';
import { HttpProblem, problems } from '../problem.js';
import { itemExcessPayments, itemExcessPaymentsJson } from './excess-payments.js';
import { isEndUser, requireBackOffice } from '../auth.js';
import { addRoute, jsonResponse, problemResponse, type RouteDeps } from '../route.js';
import { z } from '../zod.js';
import { currency, idempotencyHeaders as idempotencyHeadersFor, isSafeText, minorUnits as minorUnitsUpTo, nonNegativeMinorUnits, text } from '../inputs.js';

const INVOICE_STATUSES = ['draft', 'pending', 'paid', 'cancelled'] as const;

const minorUnits = minorUnitsUpTo();
const invoiceId = z.string().regex(/^(inv_[0-9a-f]{32}|in_[A-Za-z0-9_]{1,200})$/, 'not an invoice id');
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
const clientOut = (client: ClientRecord) => ({ id: client.id, email: client.email, name: client.name, user_id: client.userId });

const lineItem = z
  .object({
    description: text({ min: 1, max: 500, trim: true }),
    quantity: z.number().int().positive().max(1_000_000).default(1),
    unit_amount: nonNegativeMinorUnits(),
  })
  .strict();

const createBody = z
  .object({
    client_id: z.string().regex(/^cli_[0-9a-f]{24}$/, 'not a client id').optional(),
    client: z
      .object({
        email: z.email().max(320),
        name: text({ min: 1, max: 200, trim: true }).optional(),
        user_id: userId.optional().openapi({ description: 'Links the client to this end user (JWT subject): they see its invoices.' }),
      })
      .strict()
      .optional(),
    line_items: z.array(lineItem).min(1).max(100).optional(),
    amount: minorUnits.optional().openapi({ description: 'Total in minor units, instead of line_items.' }),
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
const idempotencyHeaders = idempotencyHeadersFor('Replays with the same key return the original invoice; another request with it answers 422.');

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toJson(invoice: InvoiceDetails) {
  return {
    id: invoice.id,
    source: invoice.source,
    stripe_invoice_id: invoice.stripeInvoiceId,
    client_id: invoice.clientId,
    status: invoice.status,
    overdue: invoice.overdue,
    overdue_reason: invoice.overdueReason,
    amount_due: invoice.amountDue,
    amount_paid: invoice.amountPaid,
    currency: invoice.currency,
    due_at: iso(invoice.dueAtMs),
    paid_at: iso(invoice.paidAtMs),
    memo: invoice.memo,
    payment_link_url: invoice.paymentLink?.url ?? null,
    line_items: invoice.lines.map((line) => ({ description: line.description, quantity: line.quantity, unit_amount: line.unitAmount, amount: line.amount })),
    created_at: invoice.createdAt,
  };
}

const encodeCursor = (invoice: InvoiceDetails) => Buffer.from(JSON.stringify([invoice.createdAt, invoice.id])).toString('base64url');
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw problems.validation([{ field: 'query.cursor', message: 'not a cursor from this API' }]);
  }
}

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

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

export function invoiceRoutes(registry: OpenAPIRegistry, { config, db, temporal, authenticate, writeLimit }: RouteDeps): Router {
  const router = Router();
  const retry = retryScheduleFromConfig(config);
  const tags = ['Invoices'];
  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;
  const startArgs = (tenantId: string, id: string) => ({
    workflowId: invoiceWorkflowId(tenantId, id),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    args: [{ tenantId, invoiceId: id, source: 'manual' as const, retry }] as [Parameters<typeof invoiceWorkflow>[0]],
  });

  async function load(tenantId: string, id: string): Promise<InvoiceDetails> {
    const invoice = await findInvoice(db, tenantId, id);
    if (!invoice) throw problems.notFound('invoice');
    return invoice;
  }

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/invoices',
      summary: 'Create a manual invoice',
      tags,
      body: createBody,
      headers: idempotencyHeaders,
      idempotency: { db },
      middleware: [authenticate, requireBackOffice(), writeLimit],
      responses: {
        201: jsonResponse('Invoice created', invoiceJson),
        200: jsonResponse('Replay of an earlier request with the same Idempotency-Key', invoiceJson),
        400: problemResponse('Invalid invoice'),
        404: problemResponse('Unknown client_id'),
        409: problemResponse('client_user_mismatch: the client with this email is linked to another user'),
        503: problemResponse('Temporal unavailable; retry with the same Idempotency-Key'),
      },
    },
    async ({ body, principal, raw }, res) => {
      const tenantId = principal.tenantId;
      const key = raw.header('idempotency-key');
      const id = `inv_${key ? digest(tenantId, 'invoice', key) : randomBytes(16).toString('hex')}`;
      let created = false;
      if (!(await findInvoice(db, tenantId, id))) {
        const client = body.client_id
          ? await findClient(db, tenantId, body.client_id)
          : await findOrCreateClientByEmail(db, tenantId, { email: body.client!.email, name: body.client!.name, userId: body.client!.user_id });
        if (!client) throw problems.notFound('client');
        if (body.client?.user_id !== undefined && client.userId !== body.client.user_id) {
          throw problems.conflict('client_user_mismatch', `Client ${client.id} is linked to another user; change it with PUT /v1/clients/${client.id}.`);
        }
        const lines = body.line_items
          ? body.line_items.map((line) => ({ description: line.description, quantity: line.quantity, unitAmount: line.unit_amount, amount: line.quantity * line.unit_amount }))
          : [{ description: body.memo?.slice(0, 500) || 'Amount due', quantity: 1, unitAmount: body.amount!, amount: body.amount! }];
        const total = lines.reduce((sum, line) => sum + line.amount, 0);
        if (!Number.isSafeInteger(total) || total <= 0) throw problems.validation([{ field: 'body.line_items', message: 'the total must be a positive amount' }]);
        ({ created } = await insertManualInvoice(db, {
          tenantId,
          id,
          clientId: client.id,
          currency: body.currency,
          dueAt: body.due_date ? new Date(body.due_date) : null,
          memo: body.memo ?? null,
          lines,
        }));
      }
      try {
        // The workflow watches the due date; a replay finds it running (USE_EXISTING).
        await temporal.withDeadline(deadline(), () =>
          temporal.workflow.start(invoiceWorkflow, { ...startArgs(tenantId, id), workflowIdConflictPolicy: 'USE_EXISTING' }),
        );
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      res.status(created ? 201 : 200).json(toJson(await load(tenantId, id)));
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/invoices',
      summary: "Invoices, newest first, cursor-paginated (end users: their linked clients' only)",
      tags,
      query: z.object({
        status: z.enum(INVOICE_STATUSES).optional(),
        client_id: text({ max: 100 }).optional(),
        overdue: z.enum(['true', 'false']).optional(),
        created_from: dateOrDateTime.optional().openapi({ description: 'Created at or after (inclusive).' }),
        created_to: dateOrDateTime.optional().openapi({ description: 'Created before (exclusive).' }),
        limit: z.coerce.number().int().min(1).max(100).default(25),
        cursor: text({ max: 500 }).optional(),
      }),
      middleware: [authenticate],
      responses: { 200: jsonResponse('A page of invoices', invoicePage) },
    },
    async ({ query, principal }, res) => {
      const rows = await listInvoices(db, {
        tenantId: principal.tenantId,
        status: query.status,
        clientId: query.client_id,
        ...(isEndUser(principal) ? { userId: principal.userId } : {}),
        overdue: query.overdue === undefined ? undefined : query.overdue === 'true',
        createdFrom: query.created_from ? new Date(query.created_from) : undefined,
        createdTo: query.created_to ? new Date(query.created_to) : undefined,
        limit: query.limit + 1,
        after: query.cursor ? decodeCursor(query.cursor) : undefined,
      });
      const page = rows.slice(0, query.limit);
      res.json({ data: page.map(toJson), next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/invoices/{id}',
      summary: 'One invoice',
      tags,
      params: z.object({ id: invoiceId }),
      middleware: [authenticate],
      responses: { 200: jsonResponse('The invoice', invoiceDetailJson), 404: problemResponse('Unknown invoice') },
    },
    async ({ params, principal }, res) => {
      const invoice = await load(principal.tenantId, params.id);
      if (isEndUser(principal)) {
        // End users see the invoices of the clients linked to them, nothing else (not even that others exist).
        const client = invoice.clientId ? await findClient(db, principal.tenantId, invoice.clientId) : undefined;
        if (client?.userId !== principal.userId) throw problems.notFound('invoice');
      }
      res.json({ ...toJson(invoice), excess_payments: await itemExcessPayments(db, principal.tenantId, { kind: 'invoice', ref: params.id }) });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/clients/{id}',
      summary: "Link an invoice client to an end user (or unlink it with null): they see the client's invoices",
      tags,
      params: z.object({ id: z.string().regex(/^cli_[0-9a-f]{24}$/, 'not a client id') }),
      body: z.object({ user_id: userId.nullable() }).strict().openapi('UpdateInvoiceClient'),
      middleware: [authenticate, requireBackOffice(), writeLimit],
      responses: { 200: jsonResponse('The client', clientJson), 403: problemResponse('Needs an API key or an admin user'), 404: problemResponse('Unknown client') },
    },
    async ({ params, body, principal }, res) => {
      const client = await setClientUser(db, principal.tenantId, params.id, body.user_id);
      if (!client) throw problems.notFound('client');
      res.json(clientOut(client));
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/invoices/{id}/void',
      summary: 'Void a manual invoice (its Payment Link is deactivated)',
      tags,
      params: z.object({ id: invoiceId }),
      middleware: [authenticate, requireBackOffice(), writeLimit],
      responses: {
        200: jsonResponse('Voided (or already void)', invoiceJson),
        404: problemResponse('Unknown invoice'),
        409: problemResponse('invoice_paid: a paid invoice cannot be voided'),
        422: problemResponse('invoice_not_manual: void Stripe invoices in Stripe'),
      },
    },
    async ({ params, principal }, res) => {
      const { outcome } = await voidManualInvoice(db, principal.tenantId, params.id);
      if (outcome === 'unknown') throw problems.notFound('invoice');
      if (outcome === 'not_manual') throw new HttpProblem(422, 'invoice_not_manual', 'This invoice comes from Stripe; void it in Stripe.');
      if (outcome === 'paid') throw problems.conflict('invoice_paid', 'This invoice is paid and cannot be voided.');
      await temporal.withDeadline(deadline(), () =>
        temporal.workflow.signalWithStart(invoiceWorkflow, {
          ...startArgs(principal.tenantId, params.id),
          signal: invoiceEventSignal,
          signalArgs: [{ kind: 'voided', eventId: `void:${params.id}` }],
        }),
      );
      res.json(toJson(await load(principal.tenantId, params.id)));
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/invoices/{id}/payment-link',
      summary: 'Create (once) and return the Stripe Payment Link of a manual invoice',
      tags,
      params: z.object({ id: invoiceId }),
      middleware: [authenticate, requireBackOffice(), writeLimit],
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
    async ({ params, principal }, res) => {
      const tenantId = principal.tenantId;
      const invoice = await load(tenantId, params.id);
      if (invoice.source !== 'manual') {
        throw new HttpProblem(422, 'invoice_not_manual', 'This invoice comes from Stripe and is paid through Stripe, not a Payment Link.');
      }
      if (invoice.status === 'paid') throw problems.conflict('invoice_paid', 'This invoice is already paid.');
      if (invoice.status === 'cancelled') throw problems.conflict('invoice_cancelled', 'This invoice is cancelled.');
      if (invoice.paymentLink) {
        res.status(200).json({ invoice_id: invoice.id, payment_link_id: invoice.paymentLink.id, url: invoice.paymentLink.url });
        return;
      }
      try {
        const link = await temporal.withDeadline(deadline(), () =>
          temporal.workflow.executeUpdateWithStart(createPaymentLinkUpdate, {
            args: [],
            startWorkflowOperation: new WithStartWorkflowOperation(invoiceWorkflow, {
              ...startArgs(tenantId, invoice.id),
              workflowIdConflictPolicy: 'USE_EXISTING',
            }),
          }),
        );
        res.status(201).json({ invoice_id: invoice.id, payment_link_id: link.id, url: link.url });
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) {
          const type = updateFailureType(error);
          if (type === INVOICE_PAID_ERROR) throw problems.conflict('invoice_paid', 'This invoice is already paid.');
          if (type === INVOICE_CANCELLED_ERROR) throw problems.conflict('invoice_cancelled', 'This invoice is cancelled.');
          if (type === INVOICE_NOT_MANUAL_ERROR) throw new HttpProblem(422, 'invoice_not_manual', 'This invoice is paid through Stripe.');
          if (type === INVOICE_UNKNOWN_ERROR) throw problems.notFound('invoice');
          throw new HttpProblem(502, 'stripe_error', 'Stripe refused to create the Payment Link.');
        }
        throw error;
      }
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/invoices/imports',
      summary: 'Import (backfill and reconcile) the Stripe invoices created since a time',
      tags,
      body: startImportBody,
      headers: idempotencyHeadersFor('Replays with the same key and since return the same import; another request with it answers 422.'),
      idempotency: { db },
      middleware: [authenticate, requireBackOffice(), writeLimit],
      responses: {
        202: jsonResponse('Import started (or the existing one for this Idempotency-Key)', importStarted),
        400: problemResponse('Invalid since'),
        503: problemResponse('Temporal unavailable; retry with the same Idempotency-Key'),
      },
    },
    async ({ body, principal, raw }, res) => {
      const since = Math.floor(Date.parse(body.since) / 1000);
      if (since * 1000 > Date.now()) throw problems.validation([{ field: 'body.since', message: 'must not be in the future' }]);
      const { importId } = await temporal.withDeadline(deadline(), () =>
        startInvoiceImport(temporal, {
          tenantId: principal.tenantId,
          since,
          idempotencyKey: raw.header('idempotency-key') || undefined,
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          retry,
          ...(body.page_size !== undefined ? { pageSize: body.page_size } : {}),
        }),
      );
      const statusUrl = `/v1/invoices/imports/${importId}`;
      res.status(202).location(statusUrl).json({ id: importId, status_url: statusUrl });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/invoices/imports/{id}',
      summary: 'Progress of an invoice import: pages, imported, skipped, ignored, failed',
      tags,
      params: z.object({ id: z.string().regex(IMPORT_ID_PATTERN, 'not an import id') }),
      middleware: [authenticate, requireBackOffice()],
      responses: {
        200: jsonResponse('The import', importJson),
        404: problemResponse('Unknown import'),
        503: problemResponse('Temporal (or, while it runs, the worker) unavailable; retry shortly'),
      },
    },
    async ({ params, principal }, res) => {
      const progress = await temporal.withDeadline(deadline(), () => readInvoiceImport(temporal, principal.tenantId, params.id));
      if (!progress) throw problems.notFound('import');
      res.json(invoiceImportJson(progress));
    },
  );

  return router;
}
