import { Attention } from '../shared/attention.js';
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InvoiceImportActivities } from '../../activities/invoice-import.js';
import type { InvoiceImportProgress, InvoiceImportStatus } from '../../src/domain/invoice-import/contracts.js';
import { activityOptions } from '../activity-options.js';
import { StatusKey, TenantIdKey } from '../../src/domain/search-attributes.js';
import { invoiceImportProgressQuery, type InvoiceImportInput } from './messages.js';
import { addPage, nextCursorOf, pagesPerRunOf, pageSizeOf, startingProgress } from './rules.js';

/**
 * Backfill and reconcile: pages through the tenant's Stripe invoices created since `since` (newest first, Stripe's
 * order) and hands each to the invoice workflow the way a webhook does. The cursor lives in workflow state, so after
 * a worker crash the workflow continues from the last completed page (replay); the page in flight is retried and
 * resumes from its heartbeat. Re-running with the same `since` changes nothing: unchanged invoices are skipped.
 */
export async function invoiceImportWorkflow(input: InvoiceImportInput): Promise<InvoiceImportProgress> {
  const acts = new Attention().wrap(proxyActivities<InvoiceImportActivities>({
    ...activityOptions(input.retry),
    // A page of 100 invoices is 100 signals; the heartbeat, not the total time, tells a dead worker apart.
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '10 seconds',
  }));
  const pageSize = pageSizeOf(input);
  const pagesPerRun = pagesPerRunOf(input);
  const progress = startingProgress(input);
  setHandler(invoiceImportProgressQuery, () => progress);

  function setStatus(status: InvoiceImportStatus): void {
    progress.status = status;
    upsertSearchAttributes([
      { key: TenantIdKey, value: input.tenantId },
      { key: StatusKey, value: status },
    ]);
  }
  setStatus('running');

  for (let pagesThisRun = 0; ; ) {
    let page;
    try {
      page = await acts.importInvoicePage({
        tenantId: input.tenantId,
        importId: input.importId,
        since: input.since,
        startingAfter: progress.cursor,
        limit: pageSize,
        retry: input.retry,
      });
    } catch (error) {
      if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
      // Only non-retryable failures get here (e.g. Stripe refused the listing): record why and stop.
      const cause = error.cause;
      progress.error = cause instanceof ApplicationFailure ? `${cause.type ?? 'Error'}: ${cause.message}` : (cause?.message ?? error.message);
      log.warn('invoice import stopped', { importId: input.importId, error: progress.error });
      setStatus('failed');
      return progress;
    }
    addPage(progress, page);
    const cursor = nextCursorOf(page);
    if (cursor === null) break;
    progress.cursor = cursor;
    pagesThisRun += 1;
    if (pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof invoiceImportWorkflow>({ ...input, carried: progress });
    }
  }
  setStatus('completed');
  return progress;
}
