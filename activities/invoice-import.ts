import type { SignalArgs } from '../src/temporal/signal-args.js';
import { activityInfo, Context, heartbeat, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { findInvoiceRecord } from '../src/db/invoices/queries.js';
import { stripeAccountFor } from '../src/stripe/connected-account.js';
import { invoiceSnapshotFrom } from '../src/stripe/invoice-snapshot.js';
import { isTemporalUnavailable } from '../src/temporal/errors.js';
import { invoiceWorkflowId } from '../src/temporal/workflow-ids.js';
import { mergeStripeView } from '../src/domain/invoice/rules.js';
// An import hands each invoice to its own workflow: the activity signals it through the workflow's message contract.
import { invoiceEventSignal, INVOICE_WORKFLOW_TYPE, type InvoiceWorkflow } from '../workflows/invoice/messages.js';
import { callStripe } from './errors.js';
import { classifyActivityError } from './failures.js';
import { createInvoiceActivities } from './invoice.js';
import type { InvoiceImportHeartbeat, InvoiceImportOutcome, InvoiceImportPageInput, InvoiceImportPageResult } from '../src/domain/invoice-import/contracts.js';
import type { StripeInvoiceEvent, StripeInvoiceSnapshot, StripeInvoiceView } from '../src/domain/invoice/contracts.js';

export interface InvoiceImportActivityDeps {
  db: Db;
  stripe: Stripe;
  /**
   * Used to signalWithStart the invoice workflows, exactly like the webhook route. Without it (a worker built
   * without a client) the import falls back to the order-safe upsert activity, which writes the row but starts
   * no invoice workflow (so no due-date timer until the next webhook for that invoice).
   */
  temporal?: Client;
}

/** Failures kept per page in the heartbeat and the result. */
const MAX_FAILURES = 50;
/** Heartbeat while waiting on Stripe, well inside the workflow's heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 2_000;

/** The synthetic event time: the newest status transition Stripe reports, else the creation time. */
export function importEventCreated(snapshot: StripeInvoiceSnapshot): number {
  const { finalizedAt, paidAt, voidedAt, markedUncollectibleAt } = snapshot.transitions;
  return Math.max(snapshot.created, finalizedAt ?? 0, paidAt ?? 0, voidedAt ?? 0, markedUncollectibleAt ?? 0);
}

/** The eventId format the invoice workflow documents for imports; redeliveries of it are dropped by the workflow. */
export const importEventId = (snapshot: StripeInvoiceSnapshot): string => `import:${snapshot.id}:${snapshot.status}`;

const sameTransitions = (a: StripeInvoiceView['transitions'], b: StripeInvoiceView['transitions']) =>
  a.finalizedAt === b.finalizedAt && a.paidAt === b.paidAt && a.voidedAt === b.voidedAt && a.markedUncollectibleAt === b.markedUncollectibleAt;

/**
 * True when folding the snapshot into what PostgreSQL holds would change no fact we keep (status, transitions,
 * amounts, currency, due date, customer, subscription): the import skips it and sends nothing. Only the bookkeeping
 * fields lastEventAt/lastEventId may differ. A paid-vs-void conflict is a change (the workflow re-fetches).
 */
export function importChangesNothing(current: StripeInvoiceView, snapshot: StripeInvoiceSnapshot): boolean {
  const { view, outcome } = mergeStripeView(current, snapshot, { at: importEventCreated(snapshot), id: importEventId(snapshot) });
  if (outcome === 'conflict') return false;
  return (
    view.status === current.status &&
    sameTransitions(view.transitions, current.transitions) &&
    view.amountDue === current.amountDue &&
    view.amountPaid === current.amountPaid &&
    view.currency === current.currency &&
    view.dueDate === current.dueDate &&
    view.customerId === current.customerId &&
    view.subscriptionId === current.subscriptionId
  );
}

class InvoiceFailed extends Error {}

function heartbeatDetails(input: InvoiceImportPageInput): InvoiceImportHeartbeat {
  const details = activityInfo().heartbeatDetails as InvoiceImportHeartbeat | undefined;
  // Only the same page may be resumed: the workflow moves the cursor after a page completes.
  if (details && details.startingAfter === input.startingAfter && details.done) {
    return { startingAfter: input.startingAfter, done: { ...details.done }, failures: [...(details.failures ?? [])] };
  }
  return { startingAfter: input.startingAfter, done: {}, failures: [] };
}

/** Keeps heartbeating while a slow call runs, so a live worker is not mistaken for a dead one. */
async function whileHeartbeating<T>(details: InvoiceImportHeartbeat, call: () => Promise<T>): Promise<T> {
  heartbeat(details);
  const timer = setInterval(() => heartbeat(details), HEARTBEAT_EVERY_MS);
  try {
    return await call();
  } finally {
    clearInterval(timer);
  }
}

export function createInvoiceImportActivities({ db, stripe, temporal }: InvoiceImportActivityDeps) {
  const invoiceActivities = createInvoiceActivities({ db, stripe });

  /** Hands one invoice to the same path a webhook takes; returns imported or skipped, throws InvoiceFailed. */
  async function importOne(input: InvoiceImportPageInput, invoice: Stripe.Invoice, platform: boolean): Promise<InvoiceImportOutcome> {
    if (platform && invoice.metadata?.tenant_id !== input.tenantId) return 'ignored';
    let snapshot: StripeInvoiceSnapshot;
    try {
      snapshot = invoiceSnapshotFrom(invoice);
    } catch (error) {
      throw new InvoiceFailed(`unreadable invoice: ${String(error)}`);
    }
    const existing = await findInvoiceRecord(db, input.tenantId, snapshot.id);
    if (existing && existing.source !== 'stripe') throw new InvoiceFailed('a manual invoice has the same id');
    if (existing?.stripe && importChangesNothing(existing.stripe, snapshot)) return 'skipped';

    const event: StripeInvoiceEvent = {
      kind: 'stripe',
      eventId: importEventId(snapshot),
      type: 'import',
      eventCreated: importEventCreated(snapshot),
      invoice: snapshot,
    };
    if (!temporal) {
      const result = await invoiceActivities.upsertInvoiceFromStripe({
        tenantId: input.tenantId,
        eventId: event.eventId,
        eventCreated: event.eventCreated,
        invoice: snapshot,
      });
      if (result.outcome === 'conflict') throw new InvoiceFailed('paid in one record and void in the other; needs the invoice workflow');
      return result.outcome === 'stale' ? 'skipped' : 'imported';
    }
    try {
      // Exactly what the webhook route does: a closed invoice workflow is reopened and reloads from PostgreSQL.
      await temporal.workflow.signalWithStart<InvoiceWorkflow, SignalArgs<typeof invoiceEventSignal>>(INVOICE_WORKFLOW_TYPE, {
        workflowId: invoiceWorkflowId(input.tenantId, snapshot.id),
        taskQueue: activityInfo().taskQueue,
        args: [{ tenantId: input.tenantId, invoiceId: snapshot.id, source: 'stripe', retry: input.retry }],
        signal: invoiceEventSignal,
        signalArgs: [event],
      });
    } catch (error) {
      if (isTemporalUnavailable(error)) throw error; // transient: the whole page is retried, resuming from the heartbeat
      throw new InvoiceFailed(`Temporal refused the signal: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 'imported';
  }

  return {
    /**
     * One page of `stripe.invoices.list({created: {gte: since}, limit, starting_after})` in the tenant's account,
     * each invoice upserted through the webhook path. Heartbeats after every invoice with what it did, so a retried
     * attempt (worker crash, Temporal briefly unavailable) re-lists the same page and counts nothing twice.
     * Idempotent: handing an invoice over twice is harmless (the invoice workflow drops a repeated eventId and
     * the upsert is order-safe); an unchanged invoice is not handed over at all.
     */
    async importInvoicePage(input: InvoiceImportPageInput): Promise<InvoiceImportPageResult> {
      const details = heartbeatDetails(input);
      const resumed = Object.keys(details.done).length;
      if (resumed > 0) log.info('resuming an invoice import page', { importId: input.importId, startingAfter: input.startingAfter, resumed });
      const account = await stripeAccountFor(db, input.tenantId);
      const page = await whileHeartbeating(details, () =>
        callStripe('invoices.list', () =>
          stripe.invoices.list(
            { created: { gte: input.since }, limit: input.limit, ...(input.startingAfter ? { starting_after: input.startingAfter } : {}) },
            account,
          ),
        ),
      );
      const signal = Context.current().cancellationSignal;
      const listed = page.data.filter((invoice): invoice is Stripe.Invoice & { id: string } => typeof invoice.id === 'string');
      for (const invoice of listed) {
        if (details.done[invoice.id]) continue;
        if (signal.aborted) throw signal.reason;
        let outcome: InvoiceImportOutcome;
        try {
          outcome = await importOne(input, invoice, account.stripeAccount === undefined);
        } catch (error) {
          // An invoice this code cannot store (a PostgreSQL data error, say) fails alone; the page carries on.
          const rejected = error instanceof InvoiceFailed ? undefined : classifyActivityError(error);
          if (!(error instanceof InvoiceFailed) && !rejected) throw error;
          const message = rejected ? `rejected: ${rejected.type}: ${rejected.message}` : (error as InvoiceFailed).message;
          outcome = 'failed';
          log.warn('invoice not imported', { importId: input.importId, invoiceId: invoice.id, error: message });
          details.failures.push({ invoiceId: invoice.id, error: message });
          if (details.failures.length > MAX_FAILURES) details.failures.shift();
        }
        details.done[invoice.id] = outcome;
        heartbeat(details);
      }
      const counts = { imported: 0, skipped: 0, ignored: 0, failed: 0 };
      for (const invoice of listed) {
        const outcome = details.done[invoice.id];
        if (outcome) counts[outcome] += 1;
      }
      const created = listed.map((invoice) => invoice.created);
      return {
        ...counts,
        listed: listed.length,
        hasMore: page.has_more && listed.length > 0,
        nextCursor: listed.at(-1)?.id ?? null,
        newestCreated: created.length > 0 ? Math.max(...created) : null,
        oldestCreated: created.length > 0 ? Math.min(...created) : null,
        failures: details.failures,
      };
    },
  };
}

export type InvoiceImportActivities = ReturnType<typeof createInvoiceImportActivities>;
