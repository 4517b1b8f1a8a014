/**
 * Event → effect for open invoices: an invoice.updated webhook's signalWithStart until the workflow's upsert
 * activity has committed the row (stripe_last_event_id is the event's id). One invoice at a time, so each sample
 * is one event's path (a cached workflow's sticky task, or an evicted one's full history replay), not a queue.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../src/db/connection.js';
import { sendInvoiceUpdated, type InvoiceTarget } from './invoice-events.js';

const POLL_MS = 2;
const TIMEOUT_MS = 60_000;

async function waitForLastEvent(db: Db, tenantId: string, invoiceId: string, eventId: string): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  for (;;) {
    const row = await db
      .selectFrom('invoices')
      .select('stripe_last_event_id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', invoiceId)
      .executeTakeFirst();
    if (row?.stripe_last_event_id === eventId) return;
    if (performance.now() > deadline) throw new Error(`invoice ${invoiceId}: event ${eventId} had no effect within ${TIMEOUT_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

/** Milliseconds from send to effect, one per invoice index, in order. */
export async function eventToEffectMs(target: InvoiceTarget, db: Db, invoices: Array<{ invoiceId: string; index: number }>): Promise<number[]> {
  const samples: number[] = [];
  for (const { invoiceId, index } of invoices) {
    const begun = performance.now();
    const eventId = await sendInvoiceUpdated(target, invoiceId, index);
    await waitForLastEvent(db, target.tenantId, invoiceId, eventId);
    samples.push(performance.now() - begun);
  }
  return samples;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
