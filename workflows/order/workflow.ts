import { allHandlersFinished, condition, continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  confirmPaymentUpdate,
  createPaymentIntentUpdate,
  openRecoveryCheckoutUpdate,
  orderStateQuery,
  orderStripeEventSignal,
  refundUpdate,
  type OrderInput,
  type OrderState,
} from './messages.js';
import { OrderRun } from './order-run.js';
import { confirmPayment, createPaymentIntent, validatePaymentIntentRequest } from './payment-attempts.js';
import { openRecoveryCheckout, validateRecoveryCheckoutRequest } from './recovery-checkout.js';
import { refund, validateRefundRequest } from './refunds.js';
import { adoptRecord, idleTimeoutMs, isSettled, isUntracked, mayClose, UNKNOWN_ORDER_WAIT_MS, type Closing } from './rules.js';
import { drain, reconcile } from './stripe-events.js';

export { ORDER_REJECTED_INPUT_PATCH } from './patches.js';

export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const run = new OrderRun(input);
  const { state, inbox } = run;

  setHandler(orderStateQuery, () => state);
  setHandler(orderStripeEventSignal, (event) => {
    if (!inbox.offer(event)) log.info('duplicate Stripe event ignored', { eventId: event.eventId });
  });
  setHandler(createPaymentIntentUpdate, (request) => createPaymentIntent(run, request), {
    validator: (request) => validatePaymentIntentRequest(run, request),
  });
  setHandler(confirmPaymentUpdate, () => confirmPayment(run));
  setHandler(openRecoveryCheckoutUpdate, (request) => openRecoveryCheckout(run, request), {
    validator: (request) => validateRecoveryCheckoutRequest(request),
  });
  setHandler(refundUpdate, (request) => refund(run, request), {
    validator: (request) => validateRefundRequest(run, request),
  });

  // Start: load what PostgreSQL knows (a reopened or new order).
  if (!run.hydrated) {
    const known = await run.acts.loadOrder({ tenantId: input.tenantId, orderId: input.orderId });
    if (known) adoptRecord(state, known);
    run.hydrated = true;
  }
  if (state.known || input.origin === 'api') run.setStatus(state.status);

  const settledWithNothingInFlight = () => isSettled(state) && run.refundsInFlight.size === 0;

  for (;;) {
    let closing: Closing = 'idle';
    if (isUntracked(state, input.origin)) {
      // Only orders created through our API are tracked; events for anything else are logged and dropped.
      await condition(() => inbox.hasPending || state.known, UNKNOWN_ORDER_WAIT_MS);
      await drain(run);
      closing = 'unknown';
    } else {
      let seenTouches = run.touches;
      for (;;) {
        const woke = await condition(() => inbox.hasPending || run.touches !== seenTouches || settledWithNothingInFlight(), idleTimeoutMs(state.status));
        seenTouches = run.touches;
        if (!woke) {
          await reconcile(run);
          break;
        }
        await drain(run);
        if (settledWithNothingInFlight()) {
          closing = 'settled';
          break;
        }
        if (workflowInfo().continueAsNewSuggested) {
          await condition(allHandlersFinished);
          await drain(run);
          await continueAsNew<typeof orderWorkflow>({ ...input, origin: 'webhook', carried: state });
        }
      }
    }
    // Let in-flight updates finish; anything that arrived meanwhile keeps the order open.
    await condition(() => allHandlersFinished() || inbox.hasPending);
    if (mayClose(closing, state, { pending: inbox.hasPending, handlersFinished: allHandlersFinished() })) break;
  }
  return state;
}
