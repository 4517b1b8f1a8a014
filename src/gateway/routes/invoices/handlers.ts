import type { SignalArgs } from '../../../temporal/signal-args.js';
import { randomBytes } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { findClient, findOrCreateClientByEmail, setClientUser } from '../../../db/clients.js';
import { findInvoice, listInvoices } from '../../../db/invoices/queries.js';
import { insertManualInvoice, voidManualInvoice } from '../../../db/invoices/manual.js';
import { type InvoiceDetails } from '../../../db/invoices/rows.js';
import { invoiceImportJson, readInvoiceImport, startInvoiceImport } from '../../../invoices/imports.js';
import { updateFailureType } from '../../../temporal/errors.js';
import { retryScheduleFromConfig } from '../../../temporal/retry.js';
import { invoiceWorkflowId } from '../../../temporal/workflow-ids.js';
import { createPaymentLinkUpdate, INVOICE_CANCELLED_ERROR, INVOICE_NOT_MANUAL_ERROR, INVOICE_PAID_ERROR, INVOICE_UNKNOWN_ERROR, invoiceEventSignal, INVOICE_WORKFLOW_TYPE, type InvoiceWorkflow } from '../../../../workflows/invoice/messages.js';
import { isEndUser } from '../../auth.js';
import { HttpProblem, problems } from '../../problem.js';
import type { Handlers, RouteDeps } from '../../route.js';
import { digest } from '../../schemas.js';
import { itemExcessPayments } from '../excess-payments/index.js';
import { clientJson, decodeCursor, encodeCursor, invoiceJson } from './mappers.js';
import type { contracts } from './schemas.js';

/** The payment-link update's refusals as the problems the route documents. */
function paymentLinkProblem(error: unknown): never {
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

export function invoiceHandlers({ config, db, temporal }: RouteDeps): Handlers<typeof contracts> {
  const retry = retryScheduleFromConfig(config);
  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;
  const startArgs = (tenantId: string, id: string) => ({
    workflowId: invoiceWorkflowId(tenantId, id),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    args: [{ tenantId, invoiceId: id, source: 'manual' as const, retry }] as [Parameters<InvoiceWorkflow>[0]],
  });

  async function load(tenantId: string, id: string): Promise<InvoiceDetails> {
    const invoice = await findInvoice(db, tenantId, id);
    if (!invoice) throw problems.notFound('invoice');
    return invoice;
  }

  return {
    async createInvoice({ body, principal, raw }, res) {
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
          temporal.workflow.start<InvoiceWorkflow>(INVOICE_WORKFLOW_TYPE, { ...startArgs(tenantId, id), workflowIdConflictPolicy: 'USE_EXISTING' }),
        );
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      res.status(created ? 201 : 200).json(invoiceJson(await load(tenantId, id)));
    },

    async listInvoices({ query, principal }, res) {
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
      res.json({ data: page.map(invoiceJson), next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null });
    },

    async getInvoice({ params, principal }, res) {
      const invoice = await load(principal.tenantId, params.id);
      if (isEndUser(principal)) {
        // End users see the invoices of the clients linked to them, nothing else (not even that others exist).
        const client = invoice.clientId ? await findClient(db, principal.tenantId, invoice.clientId) : undefined;
        if (client?.userId !== principal.userId) throw problems.notFound('invoice');
      }
      res.json({ ...invoiceJson(invoice), excess_payments: await itemExcessPayments(db, principal.tenantId, { kind: 'invoice', ref: params.id }) });
    },

    async linkClient({ params, body, principal }, res) {
      const client = await setClientUser(db, principal.tenantId, params.id, body.user_id);
      if (!client) throw problems.notFound('client');
      res.json(clientJson(client));
    },

    async voidInvoice({ params, principal }, res) {
      const { outcome } = await voidManualInvoice(db, principal.tenantId, params.id);
      if (outcome === 'unknown') throw problems.notFound('invoice');
      if (outcome === 'not_manual') throw new HttpProblem(422, 'invoice_not_manual', 'This invoice comes from Stripe; void it in Stripe.');
      if (outcome === 'paid') throw problems.conflict('invoice_paid', 'This invoice is paid and cannot be voided.');
      await temporal.withDeadline(deadline(), () =>
        temporal.workflow.signalWithStart<InvoiceWorkflow, SignalArgs<typeof invoiceEventSignal>>(INVOICE_WORKFLOW_TYPE, {
          ...startArgs(principal.tenantId, params.id),
          signal: invoiceEventSignal,
          signalArgs: [{ kind: 'voided', eventId: `void:${params.id}` }],
        }),
      );
      res.json(invoiceJson(await load(principal.tenantId, params.id)));
    },

    async createPaymentLink({ params, principal }, res) {
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
            startWorkflowOperation: new WithStartWorkflowOperation<InvoiceWorkflow>(INVOICE_WORKFLOW_TYPE, {
              ...startArgs(tenantId, invoice.id),
              workflowIdConflictPolicy: 'USE_EXISTING',
            }),
          }),
        );
        res.status(201).json({ invoice_id: invoice.id, payment_link_id: link.id, url: link.url });
      } catch (error) {
        paymentLinkProblem(error);
      }
    },

    async startImport({ body, principal, raw }, res) {
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

    async getImport({ params, principal }, res) {
      const progress = await temporal.withDeadline(deadline(), () => readInvoiceImport(temporal, principal.tenantId, params.id));
      if (!progress) throw problems.notFound('import');
      res.json(invoiceImportJson(progress));
    },
  };
}
