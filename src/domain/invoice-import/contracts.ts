/** Contracts of the invoice import workflow, its activity, the REST routes and the CLI. No runtime code. */
import type { RetrySchedule } from '../retry/schedule.js';

/**
 * What happened to one listed invoice:
 * - imported: new or changed; handed to the invoice workflow (synthetic `import` event through the webhook signal);
 * - skipped: PostgreSQL already holds the same facts (status, transitions, amounts, due date, customer), nothing sent;
 * - ignored: not this tenant's (a platform-account invoice whose metadata names another or no tenant);
 * - failed: could not be imported (bad object, refused by Temporal); the import goes on and lists it in `failures`.
 */
export type InvoiceImportOutcome = 'imported' | 'skipped' | 'ignored' | 'failed';

export interface InvoiceImportCounts {
  imported: number;
  skipped: number;
  ignored: number;
  failed: number;
}

export interface InvoiceImportPageInput {
  tenantId: string;
  importId: string;
  /** Unix seconds: invoices created at or after (Stripe `created[gte]`). */
  since: number;
  /** Stripe list cursor (the last invoice id of the previous page); null for the first page. */
  startingAfter: string | null;
  /** 1..100 (Stripe's maximum page size). */
  limit: number;
  /** Handed to invoice workflows the import starts, like the webhook route does. */
  retry: RetrySchedule;
}

export interface InvoiceImportPageResult extends InvoiceImportCounts {
  /** Invoices Stripe returned on this page. */
  listed: number;
  hasMore: boolean;
  /** starting_after for the next page: the last listed id (Stripe lists newest first). */
  nextCursor: string | null;
  /** created (unix seconds) of the newest and oldest invoice on the page, null for an empty page. */
  newestCreated: number | null;
  oldestCreated: number | null;
  failures: Array<{ invoiceId: string; error: string }>;
}

/** Heartbeat details of importInvoicePage: what a retried attempt of the same page must not count again. */
export interface InvoiceImportHeartbeat {
  startingAfter: string | null;
  done: Record<string, InvoiceImportOutcome>;
  failures: Array<{ invoiceId: string; error: string }>;
}

export type InvoiceImportStatus = 'running' | 'completed' | 'failed';

/** The `progress` query of invoiceImportWorkflow, and its result. Carried across continue-as-new. */
export interface InvoiceImportProgress extends InvoiceImportCounts {
  tenantId: string;
  importId: string;
  /** Unix seconds. */
  since: number;
  status: InvoiceImportStatus;
  /** Pages completed. */
  pages: number;
  /** Invoices Stripe listed so far (imported + skipped + ignored + failed). */
  listed: number;
  /** Resume point: starting_after of the next page. */
  cursor: string | null;
  /** created of the newest invoice seen (first page) and of the oldest so far: the time range covered. */
  newestCreated: number | null;
  oldestCreated: number | null;
  /** The last failures (at most 50). */
  failures: Array<{ invoiceId: string; error: string }>;
  /** Why the import stopped, when status is failed. */
  error: string | null;
  /** Workflow runs so far (continue-as-new every few pages). */
  runs: number;
}
