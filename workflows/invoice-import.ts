import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InvoiceImportActivities } from '../activities/invoice-import.js';
import type { InvoiceImportProgress, InvoiceImportStatus } from '../activities/invoice-import-types.js';
import { activityOptions, type RetrySchedule } from './activity-options.js';
import { StatusKey, TenantIdKey } from './search-attributes.js';

export interface InvoiceImportInput {
  tenantId: string;
  importId: string;
  /** Unix seconds: Stripe invoices created at or after this time are imported. */
  since: number;
  retry: RetrySchedule;
  /** Invoices per Stripe page, 1..100 (default 100). */
  pageSize?: number;
  /** Pages per workflow run before continue-as-new (default 20), so the history stays small for any backlog. */
  pagesPerRun?: number;
  /** Progress (counts and cursor) handed over by continue-as-new. */
  carried?: InvoiceImportProgress;
}

export const invoiceImportProgressQuery = defineQuery<InvoiceImportProgress>('progress');

export const DEFAULT_IMPORT_PAGE_SIZE = 100;
export const DEFAULT_IMPORT_PAGES_PER_RUN = 20;
const FAILURES_KEPT = 50;

/**
 * Backfill and reconcile: pages through the tenant's Stripe invoices created since `since` (newest first, Stripe's
 * order) and hands each to the invoice workflow the way a webhook does. The cursor lives in workflow state, so after
 * a worker crash the workflow continues from the last completed page (replay); the page in flight is retried and
 * resumes from its heartbeat. Re-running with the same `since` changes nothing: unchanged invoices are skipped.
 */
export async function invoiceImportWorkflow(input: InvoiceImportInput): Promise<InvoiceImportProgress> {
  const acts = proxyActivities<InvoiceImportActivities>({
    ...activityOptions(input.retry),
    // A page of 100 invoices is 100 signals; the heartbeat, not the total time, tells a dead worker apart.
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '10 seconds',
  });
  const pageSize = Math.min(100, Math.max(1, Math.floor(input.pageSize ?? DEFAULT_IMPORT_PAGE_SIZE)));
  const pagesPerRun = Math.max(1, Math.floor(input.pagesPerRun ?? DEFAULT_IMPORT_PAGES_PER_RUN));
  const progress: InvoiceImportProgress = input.carried
    ? { ...input.carried, failures: [...input.carried.failures], runs: input.carried.runs + 1 }
    : {
        tenantId: input.tenantId,
        importId: input.importId,
        since: input.since,
        status: 'running',
        pages: 0,
        listed: 0,
        imported: 0,
        skipped: 0,
        ignored: 0,
        failed: 0,
        cursor: null,
        newestCreated: null,
        oldestCreated: null,
        failures: [],
        error: null,
        runs: 1,
      };
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
    progress.pages += 1;
    progress.listed += page.listed;
    progress.imported += page.imported;
    progress.skipped += page.skipped;
    progress.ignored += page.ignored;
    progress.failed += page.failed;
    progress.failures.push(...page.failures);
    if (progress.failures.length > FAILURES_KEPT) progress.failures.splice(0, progress.failures.length - FAILURES_KEPT);
    progress.newestCreated ??= page.newestCreated;
    if (page.oldestCreated !== null) progress.oldestCreated = page.oldestCreated;
    if (!page.hasMore || page.nextCursor === null) break;
    progress.cursor = page.nextCursor;
    pagesThisRun += 1;
    if (pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof invoiceImportWorkflow>({ ...input, carried: progress });
    }
  }
  setStatus('completed');
  return progress;
}
