import { ApplicationFailure } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { InvoiceImportActivities } from '../../activities/invoice-import.js';
import type { InvoiceImportPageInput } from '../../src/domain/invoice-import/contracts.js';
import { invoiceImportProgressQuery } from '../../workflows/invoice-import/messages.js';
import { invoiceImportWorkflow } from '../../workflows/invoice-import/workflow.js';
import { timeSkippingSuite, workflowBundleOption } from '../helpers/temporal.js';

const suite = timeSkippingSuite('invoice-import');

/** A fake Stripe listing of `total` invoices (newest first) whose page handler imports odd ones and skips even ones. */
function fakePages(total: number, options: { failAfter?: string } = {}) {
  const calls: InvoiceImportPageInput[] = [];
  const ids = Array.from({ length: total }, (_, index) => `in_${String(index).padStart(3, '0')}`);
  const activities: InvoiceImportActivities = {
    async importInvoicePage(input) {
      calls.push(input);
      if (options.failAfter !== undefined && input.startingAfter === options.failAfter) {
        throw ApplicationFailure.nonRetryable('invoices.list failed: No such account', 'StripeClientError');
      }
      const start = input.startingAfter === null ? 0 : ids.indexOf(input.startingAfter) + 1;
      const page = ids.slice(start, start + input.limit);
      const imported = page.filter((_, index) => (start + index) % 2 === 1).length;
      return {
        listed: page.length,
        imported,
        skipped: page.length - imported,
        ignored: 0,
        failed: 0,
        hasMore: start + input.limit < ids.length,
        nextCursor: page.at(-1) ?? null,
        newestCreated: 10_000 - start,
        oldestCreated: 10_000 - start - page.length + 1,
        failures: [],
      };
    },
  };
  return { activities, calls, ids };
}

async function run(activities: InvoiceImportActivities, input: { pageSize: number; pagesPerRun: number }) {
  const taskQueue = suite.nextTaskQueue();
  const worker = await Worker.create({ connection: suite.env.nativeConnection, taskQueue, activities, ...workflowBundleOption() });
  return worker.runUntil(async () => {
    const handle = await suite.env.client.workflow.start(invoiceImportWorkflow, {
      workflowId: `invoice-import:t1:imp_${taskQueue}`,
      taskQueue,
      args: [{ tenantId: 't1', importId: `imp_${taskQueue}`, since: 5_000, retry: { intervalsMs: [1000] }, ...input }],
    });
    const result = await handle.result();
    // The latest run (after continue-as-new) answers the query with the same final progress.
    const queried = await handle.query(invoiceImportProgressQuery);
    return { result, queried };
  });
}

describe('invoiceImportWorkflow (time-skipping, fake page activity)', () => {
  it('follows the cursor page by page and continues as new every few pages, carrying the counts', async () => {
    const fake = fakePages(14);
    const { result, queried } = await run(fake.activities, { pageSize: 3, pagesPerRun: 2 });
    expect(fake.calls.map((call) => call.startingAfter)).toEqual([null, 'in_002', 'in_005', 'in_008', 'in_011']);
    expect(fake.calls.every((call) => call.limit === 3 && call.since === 5_000 && call.tenantId === 't1')).toBe(true);
    expect(result).toMatchObject({ status: 'completed', pages: 5, listed: 14, imported: 7, skipped: 7, failed: 0, runs: 3, error: null });
    expect(result.newestCreated).toBe(10_000);
    expect(result.oldestCreated).toBe(10_000 - 13);
    expect(queried).toEqual(result);
  });

  it('a page Stripe refuses stops the import as failed with the reason, keeping what was done', async () => {
    const fake = fakePages(10, { failAfter: 'in_003' });
    const { result } = await run(fake.activities, { pageSize: 4, pagesPerRun: 10 });
    expect(result).toMatchObject({ status: 'failed', pages: 1, listed: 4, imported: 2, skipped: 2, cursor: 'in_003' });
    expect(result.error).toMatch(/StripeClientError: invoices.list failed: No such account/);
  });
});
