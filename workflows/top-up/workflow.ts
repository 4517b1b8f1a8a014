import { Attention } from '../shared/attention.js';
import { allHandlersFinished, condition, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { TopUpActivities } from '../../activities/top-up.js';
import type {
  CheckoutSessionEvent,
  CheckoutSessionSummary,
  TopUpEvent,
  TopUpPaymentIntent,
  TopUpPaymentIntentEvent,
  TopUpStatus,
} from '../../src/domain/top-up/contracts.js';
import { activityOptions } from '../activity-options.js';
import { CustomerIdKey, StatusKey, TenantIdKey } from '../../src/domain/search-attributes.js';
import { EventInbox } from '../shared/event-inbox.js';
import { rejectedEventOutcome } from '../shared/rejected-event.js';
import { searchAttributeWriter } from '../shared/search-attributes.js';
import {
  checkoutSessionEventSignal,
  createCheckoutSessionUpdate,
  createPaymentIntentUpdate,
  paymentIntentEventSignal,
  topUpStateQuery,
  type CreateCheckoutRequest,
  type CreatePaymentIntentRequest,
  type TopUpInput,
  type TopUpState,
} from './messages.js';
import {
  checkoutRequestRejection,
  eventWaitMs,
  isPaymentIntentEvent,
  isTerminal,
  paymentIntentRequestRejection,
  paymentIntentStepFor,
  stepFor,
  unpaidEnding,
  type TopUpMode,
} from './rules.js';

/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const TOPUP_REJECTED_INPUT_PATCH = 'topup-rejected-input';
/**
 * Fewer billed actions: the create activities insert the top-up row themselves (no recordTopUpCreated) and search
 * attributes are upserted only when they change.
 */
export const TOPUP_LEAN_ACTIONS_PATCH = 'topup-lean-actions';

/** A top-up's state and what changes it; the workflow function wires it to messages and runs the loop. */
class TopUp {
  readonly inbox: EventInbox<TopUpEvent>;
  private sessionCreation: Promise<CheckoutSessionSummary> | undefined;
  private paymentIntentCreation: Promise<TopUpPaymentIntent> | undefined;
  /** Runs started after TOPUP_LEAN_ACTIONS_PATCH. */
  private readonly lean = patched(TOPUP_LEAN_ACTIONS_PATCH);
  private readonly upsert = searchAttributeWriter(this.lean);

  constructor(
    readonly state: TopUpState,
    private readonly acts: TopUpActivities,
  ) {
    // Top-ups have always kept every seen id (a top-up sees a handful of events).
    this.inbox = new EventInbox(state, { seen: Infinity, log: 100 });
  }

  /** One Checkout Session per top-up: a repeated request gets the first one's answer. */
  createCheckoutSession(request: CreateCheckoutRequest): Promise<CheckoutSessionSummary> {
    this.sessionCreation ??= (async () => {
      const { state, acts } = this;
      state.accountId = request.accountId;
      state.amount = request.amount;
      state.currency = request.currency;
      if (!this.lean) await acts.recordTopUpCreated({ tenantId: state.tenantId, topUpId: state.topUpId, ...request });
      const session = await acts.createCheckoutSession({ tenantId: state.tenantId, topUpId: state.topUpId, ...request });
      state.checkoutSession = session;
      this.setStatus(state.status);
      return session;
    })();
    return this.sessionCreation;
  }

  /** The mode a create request already started in this run, if any. */
  get startedWith(): TopUpMode | undefined {
    if (this.sessionCreation) return 'checkout';
    if (this.paymentIntentCreation) return 'payment_intent';
    return undefined;
  }

  /** One PaymentIntent per Elements top-up: a repeated request gets the first one's answer (and client_secret). */
  createPaymentIntent(request: CreatePaymentIntentRequest): Promise<TopUpPaymentIntent> {
    this.paymentIntentCreation ??= (async () => {
      const { state, acts } = this;
      state.accountId = request.accountId;
      state.amount = request.amount;
      state.currency = request.currency;
      if (!this.lean) await acts.recordTopUpCreated({ tenantId: state.tenantId, topUpId: state.topUpId, ...request });
      const intent = await acts.createTopUpPaymentIntent({ tenantId: state.tenantId, topUpId: state.topUpId, ...request });
      state.paymentIntentId = intent.id;
      this.setStatus(state.status);
      return intent;
    })();
    return this.paymentIntentCreation;
  }

  setStatus(status: TopUpStatus): void {
    const { state } = this;
    state.status = status;
    this.upsert([
      { key: TenantIdKey, value: state.tenantId },
      { key: StatusKey, value: status },
      ...(state.accountId ? [{ key: CustomerIdKey, value: state.accountId }] : []),
    ]);
  }

  private credit(event: CheckoutSessionEvent): Promise<string> {
    return this.creditFrom({ checkoutSessionId: event.sessionId }, event.amountTotal, event.currency);
  }

  /** The one credit of a top-up, under its ledger key, with the amount Stripe reports (however it was paid). */
  private async creditFrom(source: { checkoutSessionId: string } | { paymentIntentId: string }, amount: number, currency: string): Promise<string> {
    const { state } = this;
    const result = await this.acts.creditTopUp({ tenantId: state.tenantId, topUpId: state.topUpId, ...source, amount, currency });
    if (result.outcome === 'unknown_top_up') return 'ignored: no such top-up';
    state.accountId = result.accountId;
    state.creditedAmount = amount;
    this.setStatus('credited');
    return result.outcome;
  }

  private async finish(status: 'expired' | 'failed'): Promise<void> {
    await this.acts.recordTopUpStatus({ tenantId: this.state.tenantId, topUpId: this.state.topUpId, status });
    this.setStatus(status);
  }

  /** Stripe's amount_received, under the same ledger key as a Checkout payment: a top-up is credited once either way. */
  private creditPaymentIntent(event: Pick<TopUpPaymentIntentEvent, 'paymentIntentId' | 'amountReceived' | 'currency'>): Promise<string> {
    return this.creditFrom({ paymentIntentId: event.paymentIntentId }, event.amountReceived, event.currency);
  }

  private async awaitAsyncPayment(): Promise<string> {
    await this.acts.recordTopUpStatus({ tenantId: this.state.tenantId, topUpId: this.state.topUpId, status: 'processing' });
    this.setStatus('processing');
    return 'awaiting async payment';
  }

  private async applyPaymentIntent(event: TopUpPaymentIntentEvent): Promise<string> {
    switch (paymentIntentStepFor(event, this.state.paymentIntentId)) {
      case 'credit':
        return this.creditPaymentIntent(event);
      case 'await_async_payment':
        return this.awaitAsyncPayment();
      case 'failed':
        await this.finish('failed');
        return 'failed';
      case 'ignore':
        return `ignored: ${event.type}`;
    }
  }

  async apply(event: TopUpEvent): Promise<string> {
    if (isTerminal(this.state.status)) return `ignored: already ${this.state.status}`;
    // Only the paymentIntentEvent signal (added with Elements top-ups) queues these: recorded histories never reach it.
    if (isPaymentIntentEvent(event)) return this.applyPaymentIntent(event);
    switch (stepFor(event)) {
      case 'credit':
        return this.credit(event);
      case 'await_async_payment':
        return this.awaitAsyncPayment();
      case 'failed':
        await this.finish('failed');
        return 'failed';
      case 'expired':
        await this.finish('expired');
        return 'expired';
    }
  }

  /** No event arrived in time: ask Stripe directly rather than assume. */
  async reconcile(): Promise<void> {
    const paymentIntentId = this.state.paymentIntentId;
    if (paymentIntentId) {
      // Set only by createPaymentIntent (Elements top-ups), so recorded Checkout histories never take this branch.
      const intent = await this.acts.settleTopUpPaymentIntent({ tenantId: this.state.tenantId, topUpId: this.state.topUpId, paymentIntentId });
      if (intent.status === 'succeeded') {
        await this.creditPaymentIntent({ ...intent });
      } else if (intent.status === 'processing') {
        // Still settling (a bank debit): the top-up stays processing and its succeeded event restarts this workflow.
        await this.acts.recordTopUpStatus({ tenantId: this.state.tenantId, topUpId: this.state.topUpId, status: 'processing' });
        this.setStatus('processing');
      } else {
        await this.finish(unpaidEnding(this.state.status));
      }
      return;
    }
    const sessionId = this.state.checkoutSession?.id;
    const snapshot = sessionId ? await this.acts.retrieveCheckoutSession({ tenantId: this.state.tenantId, sessionId }) : undefined;
    if (snapshot && snapshot.paymentStatus === 'paid') {
      await this.credit({ ...snapshot, eventId: `reconcile:${snapshot.sessionId}`, type: 'checkout.session.completed' });
      return;
    }
    await this.finish(unpaidEnding(this.state.status));
  }
}

export async function topUpWorkflow(input: TopUpInput): Promise<TopUpState> {
  const acts = new Attention().wrap(proxyActivities<TopUpActivities>(activityOptions(input.retry)));
  const topUp = new TopUp(
    { tenantId: input.tenantId, topUpId: input.topUpId, accountId: input.accountId, status: 'pending', seenEventIds: [], eventLog: [] },
    acts,
  );
  const { state, inbox } = topUp;

  setHandler(topUpStateQuery, () => state);
  setHandler(checkoutSessionEventSignal, (event) => {
    if (!inbox.offer(event)) log.info('duplicate Stripe event ignored', { eventId: event.eventId });
  });
  setHandler(paymentIntentEventSignal, (event) => {
    if (!inbox.offer(event)) log.info('duplicate Stripe event ignored', { eventId: event.eventId });
  });
  setHandler(createCheckoutSessionUpdate, async (request) => topUp.createCheckoutSession(request), {
    validator: (request) => {
      const rejection = checkoutRequestRejection(state, request, topUp.startedWith);
      if (rejection) throw new Error(rejection);
    },
  });
  setHandler(createPaymentIntentUpdate, async (request) => topUp.createPaymentIntent(request), {
    validator: (request) => {
      const rejection = paymentIntentRequestRejection(state, request, topUp.startedWith);
      if (rejection) throw new Error(rejection);
    },
  });

  if (input.accountId === undefined) {
    const known = await acts.loadTopUp({ tenantId: input.tenantId, topUpId: input.topUpId });
    if (!known) {
      // Only top-ups created through our API may credit anything; a stray session is logged and dropped.
      await condition(() => inbox.hasPending);
      inbox.dismissPending((event) => ({ eventId: event.eventId, type: event.type, outcome: 'ignored: unknown top-up' }), { bounded: false });
      await condition(allHandlersFinished);
      return state;
    }
    state.accountId = known.accountId;
    state.amount = known.amount;
    state.currency = known.currency;
    state.status = known.status;
    state.creditedAmount = known.creditedAmount ?? undefined;
    if (known.checkoutSessionId) state.checkoutSession = { id: known.checkoutSessionId, url: null, expiresAt: null };
  }
  topUp.setStatus(state.status);

  while (!isTerminal(state.status)) {
    const gotEvent = await condition(() => inbox.hasPending, eventWaitMs(state.status));
    if (!gotEvent) {
      await topUp.reconcile();
      break;
    }
    // Inline, not a helper: an extra async layer here would shift the order of commands against update handlers.
    for (let event = inbox.take(); event; event = inbox.take()) {
      let outcome: string;
      try {
        outcome = await topUp.apply(event);
      } catch (error) {
        outcome = rejectedEventOutcome(error, TOPUP_REJECTED_INPUT_PATCH, 'top-up event rejected', { eventId: event.eventId, type: event.type });
      }
      inbox.log({ eventId: event.eventId, type: event.type, outcome });
    }
    if (workflowInfo().continueAsNewSuggested) log.warn('top-up history is unexpectedly large');
  }

  // Events queued in the same task as the terminal one are logged but cannot change a terminal state.
  inbox.dismissPending((event) => ({ eventId: event.eventId, type: event.type, outcome: `ignored: already ${state.status}` }), { bounded: false });
  await condition(allHandlersFinished);
  return state;
}
