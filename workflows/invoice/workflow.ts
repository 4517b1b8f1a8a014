import { allHandlersFinished, condition, continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { rejectedEventOutcome } from '../shared/rejected-event.js';
import { InvoiceRun } from './invoice-run.js';
import { createPaymentLinkUpdate, invoiceEventSignal, invoiceStateQuery, TERMINAL_GRACE_MS, type InvoiceInput, type InvoiceState } from './messages.js';
import { eventBudgetSpent, eventTypeOf, isTerminal, overdueDue } from './rules.js';

/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const INVOICE_REJECTED_INPUT_PATCH = 'invoice-rejected-input';

export async function invoiceWorkflow(input: InvoiceInput): Promise<InvoiceState> {
  const invoice = new InvoiceRun(input);
  const { state, inbox, acts } = invoice;

  setHandler(invoiceStateQuery, () => state);
  setHandler(invoiceEventSignal, (event) => {
    if (!inbox.offer(event)) log.info('duplicate invoice event ignored', { eventId: event.eventId });
  });
  setHandler(createPaymentLinkUpdate, () => invoice.createPaymentLink(), {
    validator: () => {
      // Before the first load the handler decides; afterwards refuse early so nothing reaches history.
      if (!invoice.loaded || state.paymentLink) return;
      const refusal = invoice.refusal();
      if (refusal) throw refusal;
    },
  });

  const initial = await acts.loadInvoice({ tenantId: input.tenantId, invoiceId: input.invoiceId });
  if (initial.invoice) invoice.adopt(initial.invoice, initial.nowMs);
  invoice.loaded = true;

  if (!initial.invoice && input.source === 'manual') {
    // Only invoices created through our API exist as manual invoices; a stray event is logged and dropped.
    await condition(() => inbox.hasPending, '1 minute');
    inbox.dismissPending((event) => ({ eventId: event.eventId, type: event.kind, outcome: 'ignored: unknown invoice' }));
    await condition(allHandlersFinished);
    return state;
  }

  await invoice.afterChange();
  for (;;) {
    if (isTerminal(state)) {
      const woke = await condition(() => inbox.hasPending, TERMINAL_GRACE_MS);
      if (!woke) {
        await condition(allHandlersFinished);
        if (!inbox.hasPending) break;
      }
    } else {
      await condition(() => inbox.hasPending || overdueDue(state));
    }
    for (let event = inbox.take(); event; event = inbox.take()) {
      invoice.eventsThisRun += 1;
      const type = eventTypeOf(event);
      let outcome: string;
      try {
        outcome = await invoice.apply(event);
      } catch (error) {
        outcome = rejectedEventOutcome(error, INVOICE_REJECTED_INPUT_PATCH, 'invoice event rejected', { invoiceId: state.invoiceId, eventId: event.eventId, type });
      }
      inbox.log({ eventId: event.eventId, type, outcome });
      await invoice.afterChange();
    }
    await invoice.afterChange();
    if (workflowInfo().continueAsNewSuggested || eventBudgetSpent(input, invoice.eventsThisRun)) {
      await condition(allHandlersFinished);
      if (!inbox.hasPending) {
        await continueAsNew<typeof invoiceWorkflow>({
          ...input,
          carried: {
            seenEventIds: state.seenEventIds,
            eventLog: state.eventLog,
            recoveryStarted: invoice.recoveryStarted,
            recoveryPaidNotified: invoice.recoveryPaidNotified,
          },
        });
      }
    }
  }
  return state;
}
