import type { InvoiceImportPageResult, InvoiceImportProgress } from '../../src/domain/invoice-import/contracts.js';
import { DEFAULT_IMPORT_PAGE_SIZE, DEFAULT_IMPORT_PAGES_PER_RUN, type InvoiceImportInput } from './messages.js';

const FAILURES_KEPT = 50;

/** Invoices per Stripe page, clamped to 1..100. */
export const pageSizeOf = (input: Pick<InvoiceImportInput, 'pageSize'>): number =>
  Math.min(100, Math.max(1, Math.floor(input.pageSize ?? DEFAULT_IMPORT_PAGE_SIZE)));

/** Pages per run before continue-as-new, at least 1. */
export const pagesPerRunOf = (input: Pick<InvoiceImportInput, 'pagesPerRun'>): number =>
  Math.max(1, Math.floor(input.pagesPerRun ?? DEFAULT_IMPORT_PAGES_PER_RUN));

/** A fresh import's progress, or the carried one with its run counted. */
export function startingProgress(input: InvoiceImportInput): InvoiceImportProgress {
  if (input.carried) return { ...input.carried, failures: [...input.carried.failures], runs: input.carried.runs + 1 };
  return {
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
}

/** Adds one page's counts to the progress (in place), keeping the newest failures only. */
export function addPage(progress: InvoiceImportProgress, page: InvoiceImportPageResult): void {
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
}

/** The cursor of the next page, or null when the listing is done. */
export const nextCursorOf = (page: Pick<InvoiceImportPageResult, 'hasMore' | 'nextCursor'>): string | null =>
  !page.hasMore || page.nextCursor === null ? null : page.nextCursor;
