import { allHandlersFinished, condition, continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  cancelSubscriptionUpdate,
  DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS,
  subscriptionEventSignal,
  subscriptionStateQuery,
  type SubscriptionInput,
  type SubscriptionState,
} from './messages.js';
import { checkDueAt, checkTimeoutMs, isTerminal } from './rules.js';
import { SubscriptionRun } from './subscription-run.js';

export { SUBSCRIPTION_REJECTED_INPUT_PATCH } from './subscription-run.js';

export async function subscriptionWorkflow(input: SubscriptionInput): Promise<SubscriptionState> {
  const subscription = new SubscriptionRun(input);
  const { state, inbox, acts } = subscription;
  const continueAsNewAfter = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;

  setHandler(subscriptionStateQuery, () => state);
  setHandler(subscriptionEventSignal, (event) => {
    if (!inbox.offer(event)) log.info('duplicate Stripe event ignored', { eventId: event.eventId });
  });
  setHandler(cancelSubscriptionUpdate, (request) => subscription.cancel(request), {
    validator: (_request) => {
      if (isTerminal(state.status)) throw new Error(`subscription is already ${state.status}`);
    },
  });

  if (!input.carried) {
    const known = await acts.loadSubscription({ tenantId: input.tenantId, subscriptionId: input.subscriptionId });
    if (known) {
      // A late event after the workflow closed (or a reset): continue from the projection.
      const { tenantId: _t, subscriptionId: _s, status, ...fields } = known.projection;
      Object.assign(state, fields);
      state.cycles = known.cycles;
      state.creditsGranted = known.creditsGranted;
      state.status = status;
    }
  }
  if (state.status !== 'pending') subscription.setStatus(state.status, 0, state.statusSource ?? null);

  for (;;) {
    const dueAt = checkDueAt(state);
    const timeoutMs = checkTimeoutMs(dueAt, state.clock);
    // Also wakes when the due time changes (a cancel update, a snapshot), so the timer is recomputed.
    const wake = () => inbox.hasPending || checkDueAt(state) !== dueAt;
    if (timeoutMs === undefined) {
      await condition(wake);
    } else if (!(await condition(wake, timeoutMs)) && dueAt !== null) {
      await subscription.reconcile(dueAt);
    }
    await subscription.drain(continueAsNewAfter);
    if (isTerminal(state.status)) break;
    if (state.eventsThisRun >= continueAsNewAfter || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (isTerminal(state.status)) break;
      await continueAsNew<typeof subscriptionWorkflow>({
        tenantId: input.tenantId,
        subscriptionId: input.subscriptionId,
        retry: input.retry,
        continueAsNewAfterEvents: input.continueAsNewAfterEvents,
        carried: { state: { ...state, run: state.run + 1, eventsThisRun: 0 }, pending: inbox.pending.splice(0) },
      });
    }
  }

  // Canceled: events already delivered (e.g. the final invoice) are still applied; then the workflow ends.
  // A later event starts a fresh run that resumes from the database projection.
  do {
    await subscription.drain();
    await condition(allHandlersFinished);
  } while (inbox.hasPending);
  return state;
}
