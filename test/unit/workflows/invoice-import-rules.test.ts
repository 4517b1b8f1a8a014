import { describe, expect, it } from 'vitest';
import type { InvoiceImportPageResult } from '../../../src/domain/invoice-import/contracts.js';
import type { InvoiceImportInput } from '../../../workflows/invoice-import/messages.js';
import { addPage, nextCursorOf, pagesPerRunOf, pageSizeOf, startingProgress } from '../../../workflows/invoice-import/rules.js';

const input = { tenantId: 't_1', importId: 'imp_1', since: 1_700_000_000, retry: {} } as InvoiceImportInput;

function page(overrides: Partial<InvoiceImportPageResult> = {}): InvoiceImportPageResult {
  return {
    listed: 3,
    imported: 1,
    skipped: 1,
    ignored: 0,
    failed: 1,
    failures: [{ invoiceId: 'in_bad', error: 'boom' }],
    newestCreated: 1_700_000_300,
    oldestCreated: 1_700_000_100,
    hasMore: true,
    nextCursor: 'in_3',
    ...overrides,
  } as InvoiceImportPageResult;
}

describe('invoice-import rules', () => {
  it('clamps the page size to 1..100 and pages per run to at least 1', () => {
    expect(pageSizeOf({})).toBe(100);
    expect(pageSizeOf({ pageSize: 500 })).toBe(100);
    expect(pageSizeOf({ pageSize: 0 })).toBe(1);
    expect(pageSizeOf({ pageSize: 7.9 })).toBe(7);
    expect(pagesPerRunOf({})).toBe(20);
    expect(pagesPerRunOf({ pagesPerRun: 0 })).toBe(1);
  });

  it('adds pages, keeping the newest created of the first page and the oldest of the last', () => {
    const progress = startingProgress(input);
    addPage(progress, page());
    addPage(progress, page({ newestCreated: 1_700_000_090, oldestCreated: null }));
    expect(progress).toMatchObject({ pages: 2, listed: 6, imported: 2, skipped: 2, failed: 2, newestCreated: 1_700_000_300, oldestCreated: 1_700_000_100, runs: 1 });
    expect(progress.failures).toHaveLength(2);
  });

  it('keeps the newest 50 failures', () => {
    const progress = startingProgress(input);
    const failures = Array.from({ length: 60 }, (_, i) => ({ invoiceId: `in_${i}`, error: 'x' }));
    addPage(progress, page({ failures: failures as never }));
    expect(progress.failures.map((f) => (f as { invoiceId: string }).invoiceId)).toEqual(failures.slice(10).map((f) => f.invoiceId));
  });

  it('continues a carried import, counting the run', () => {
    const carried = { ...startingProgress(input), pages: 4, runs: 2 };
    const next = startingProgress({ ...input, carried });
    expect(next).toEqual({ ...carried, runs: 3 });
    expect(next.failures).not.toBe(carried.failures);
  });

  it('stops when Stripe has no more pages', () => {
    expect(nextCursorOf({ hasMore: true, nextCursor: 'in_3' })).toBe('in_3');
    expect(nextCursorOf({ hasMore: false, nextCursor: 'in_3' })).toBeNull();
    expect(nextCursorOf({ hasMore: true, nextCursor: null })).toBeNull();
  });
});
