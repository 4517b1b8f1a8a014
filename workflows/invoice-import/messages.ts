import { defineQuery } from '@temporalio/workflow';
import type { InvoiceImportProgress } from '../../src/domain/invoice-import/contracts.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';

export const INVOICE_IMPORT_WORKFLOW_TYPE = 'invoiceImportWorkflow';

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

export type InvoiceImportWorkflow = (input: InvoiceImportInput) => Promise<InvoiceImportProgress>;

export const invoiceImportProgressQuery = defineQuery<InvoiceImportProgress>('progress');

export const DEFAULT_IMPORT_PAGE_SIZE = 100;
export const DEFAULT_IMPORT_PAGES_PER_RUN = 20;
