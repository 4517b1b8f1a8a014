/**
 * Starting and reading invoice imports (backfill/reconcile from Stripe), shared by the REST routes and the
 * `npm run invoices:import` script.
 *
 * Import ids: `imp_` + 32 hex. With an Idempotency-Key the id is derived from (tenant, since, key), so a retried
 * request finds the same import (running or finished) instead of starting another; the same key with another
 * `since` is another import. Without a key every request gets a fresh random id; re-running an import is safe
 * anyway (unchanged invoices are skipped). Workflow id: `invoice-import:<tenant>:<import id>`, so a lookup by the
 * caller's tenant can never reach another tenant's import.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, isGrpcServiceError, type Client } from '@temporalio/client';
import type { InvoiceImportProgress } from '../domain/invoice-import/contracts.js';
import type { RetrySchedule } from '../domain/retry/schedule.js';
import { invoiceImportProgressQuery, INVOICE_IMPORT_WORKFLOW_TYPE, type InvoiceImportWorkflow } from '../../workflows/invoice-import/messages.js';
import { StatusKey, TenantIdKey } from '../domain/search-attributes.js';
import { invoiceImportWorkflowId } from '../temporal/workflow-ids.js';

export const IMPORT_ID_PATTERN = /^imp_[0-9a-f]{32}$/;

export function invoiceImportId(tenantId: string, since: number, idempotencyKey?: string): string {
  const suffix = idempotencyKey
    ? createHash('sha256').update([tenantId, 'invoice-import', String(since), idempotencyKey].join('\u0000')).digest('hex').slice(0, 32)
    : randomBytes(16).toString('hex');
  return `imp_${suffix}`;
}

export interface StartInvoiceImport {
  tenantId: string;
  /** Unix seconds. */
  since: number;
  idempotencyKey?: string;
  taskQueue: string;
  retry: RetrySchedule;
  pageSize?: number;
  pagesPerRun?: number;
}

/** Starts the import workflow, or finds the one this Idempotency-Key started earlier (running or finished). */
export async function startInvoiceImport(temporal: Client, request: StartInvoiceImport): Promise<{ importId: string }> {
  const importId = invoiceImportId(request.tenantId, request.since, request.idempotencyKey);
  try {
    await temporal.workflow.start<InvoiceImportWorkflow>(INVOICE_IMPORT_WORKFLOW_TYPE, {
      workflowId: invoiceImportWorkflowId(request.tenantId, importId),
      taskQueue: request.taskQueue,
      args: [
        {
          tenantId: request.tenantId,
          importId,
          since: request.since,
          retry: request.retry,
          ...(request.pageSize !== undefined ? { pageSize: request.pageSize } : {}),
          ...(request.pagesPerRun !== undefined ? { pagesPerRun: request.pagesPerRun } : {}),
        },
      ],
      // A replayed request finds the running import, and never restarts a finished one.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: TenantIdKey, value: request.tenantId },
        { key: StatusKey, value: 'running' },
      ],
    });
    return { importId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { importId };
    throw error;
  }
}

/**
 * The import's progress: the `progress` query while it runs (or failed/was terminated), the workflow result once it
 * completed (readable without a worker). undefined when this tenant has no such import.
 */
export async function readInvoiceImport(temporal: Client, tenantId: string, importId: string): Promise<InvoiceImportProgress | undefined> {
  const handle = temporal.workflow.getHandle<InvoiceImportWorkflow>(invoiceImportWorkflowId(tenantId, importId));
  try {
    const description = await handle.describe();
    const status = description.status.name;
    if (status === 'COMPLETED') return await handle.result();
    const progress = await handle.query(invoiceImportProgressQuery);
    if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW') return progress;
    // Terminated, cancelled, timed out or failed from outside: whatever it got to, marked failed.
    return { ...progress, status: 'failed', error: progress.error ?? `workflow ${status.toLowerCase()}` };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && error.code === 5)) return undefined;
    throw error;
  }
}

/** 0..1: how much of [since, newest invoice] the pages have covered (Stripe lists newest first); 1 once completed. */
export function importFraction(progress: InvoiceImportProgress): number {
  if (progress.status === 'completed') return 1;
  if (progress.newestCreated === null || progress.oldestCreated === null) return 0;
  const span = progress.newestCreated - progress.since;
  if (span <= 0) return 0.99;
  return Math.min(0.99, Math.max(0, (progress.newestCreated - progress.oldestCreated) / span));
}

const iso = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());

/** The REST representation (snake_case, ISO times). */
export function invoiceImportJson(progress: InvoiceImportProgress) {
  return {
    id: progress.importId,
    status: progress.status,
    since: iso(progress.since)!,
    pages: progress.pages,
    listed: progress.listed,
    imported: progress.imported,
    skipped: progress.skipped,
    ignored: progress.ignored,
    failed: progress.failed,
    progress: Number(importFraction(progress).toFixed(4)),
    newest_created_at: iso(progress.newestCreated),
    oldest_created_at: iso(progress.oldestCreated),
    failures: progress.failures.map((failure) => ({ invoice_id: failure.invoiceId, error: failure.error })),
    error: progress.error,
  };
}
export type InvoiceImportJson = ReturnType<typeof invoiceImportJson>;
