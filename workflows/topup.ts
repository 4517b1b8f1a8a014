import {
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TopUpActivities } from '../activities/topup.js';
import type { CheckoutSessionEvent, CheckoutSessionSummary, TopUpStatus } from '../activities/topup-types.js';
import { activityOptions, rejectedInput, type RetrySchedule } from './activity-options.js';
import { CustomerIdKey, StatusKey, TenantIdKey } from './search-attributes.js';

export interface TopUpInput {
  tenantId: string;
  topUpId: string;
  /** Present when started by the REST call; absent when a late webhook restarts a closed top-up. */
  accountId?: string;
  retry: RetrySchedule;
}

export interface CreateCheckoutRequest {
  accountId: string;
  amount: number;
  currency: string;
  successUrl: string;
  cancelUrl: string;
}

export interface TopUpState {
  tenantId: string;
  topUpId: string;
  accountId?: string;
  status: TopUpStatus;
  amount?: number;
  currency?: string;
  checkoutSession?: CheckoutSessionSummary;
  creditedAmount?: number;
  /** Event ids already applied, so redeliveries change nothing. */
  seenEventIds: string[];
  eventLog: Array<{ eventId: string; type: string; outcome: string }>;
}

export const createCheckoutSessionUpdate = defineUpdate<CheckoutSessionSummary, [CreateCheckoutRequest]>('createCheckoutSession');
export const checkoutSessionEventSignal = defineSignal<[CheckoutSessionEvent]>('checkoutSessionEvent');
export const topUpStateQuery = defineQuery<TopUpState>('state');

/** Checkout Sessions expire after 24 h; Stripe's expired event may lag, so we reconcile a little later. */
const CHECKOUT_WAIT_MS = 25 * 60 * 60 * 1000;
/** Delayed payment methods (bank debits) can take days to settle after checkout completes. */
const ASYNC_PAYMENT_WAIT_MS = 14 * 24 * 60 * 60 * 1000;
const EVENT_LOG_LIMIT = 100;

const TERMINAL: ReadonlySet<TopUpStatus> = new Set(['credited', 'expired', 'failed']);
/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const TOPUP_REJECTED_INPUT_PATCH = 'topup-rejected-input';

export async function topUpWorkflow(input: TopUpInput): Promise<TopUpState> {
  const acts = proxyActivities<TopUpActivities>(activityOptions(input.retry));
  const state: TopUpState = {
    tenantId: input.tenantId,
    topUpId: input.topUpId,
    accountId: input.accountId,
    status: 'pending',
    seenEventIds: [],
    eventLog: [],
  };
  const pending: CheckoutSessionEvent[] = [];
  let sessionCreation: Promise<CheckoutSessionSummary> | undefined;

  setHandler(topUpStateQuery, () => state);
  setHandler(checkoutSessionEventSignal, (event) => {
    if (state.seenEventIds.includes(event.eventId) || pending.some((queued) => queued.eventId === event.eventId)) {
      log.info('duplicate Stripe event ignored', { eventId: event.eventId });
      return;
    }
    pending.push(event);
  });
  setHandler(
    createCheckoutSessionUpdate,
    async (request) => {
      sessionCreation ??= (async () => {
        state.accountId = request.accountId;
        state.amount = request.amount;
        state.currency = request.currency;
        await acts.recordTopUpCreated({ tenantId: state.tenantId, topUpId: state.topUpId, ...request });
        const session = await acts.createCheckoutSession({ tenantId: state.tenantId, topUpId: state.topUpId, ...request });
        state.checkoutSession = session;
        setStatus(state.status);
        return session;
      })();
      return sessionCreation;
    },
    {
      validator: (request) => {
        if (TERMINAL.has(state.status)) throw new Error(`top-up is already ${state.status}`);
        if (state.amount !== undefined && (state.amount !== request.amount || state.currency !== request.currency)) {
          throw new Error('top-up was already created with a different amount or currency');
        }
      },
    },
  );

  function setStatus(status: TopUpStatus): void {
    state.status = status;
    upsertSearchAttributes([
      { key: TenantIdKey, value: state.tenantId },
      { key: StatusKey, value: status },
      ...(state.accountId ? [{ key: CustomerIdKey, value: state.accountId }] : []),
    ]);
  }

  async function credit(event: CheckoutSessionEvent): Promise<string> {
    const result = await acts.creditTopUp({
      tenantId: state.tenantId,
      topUpId: state.topUpId,
      checkoutSessionId: event.sessionId,
      amount: event.amountTotal,
      currency: event.currency,
    });
    if (result.outcome === 'unknown_top_up') return 'ignored: no such top-up';
    state.accountId = result.accountId;
    state.creditedAmount = event.amountTotal;
    setStatus('credited');
    return result.outcome;
  }

  async function finish(status: 'expired' | 'failed'): Promise<void> {
    await acts.recordTopUpStatus({ tenantId: state.tenantId, topUpId: state.topUpId, status });
    setStatus(status);
  }

  async function apply(event: CheckoutSessionEvent): Promise<string> {
    if (TERMINAL.has(state.status)) return `ignored: already ${state.status}`;
    switch (event.type) {
      case 'checkout.session.completed':
        if (event.paymentStatus === 'paid' || event.paymentStatus === 'no_payment_required') return credit(event);
        await acts.recordTopUpStatus({ tenantId: state.tenantId, topUpId: state.topUpId, status: 'processing' });
        setStatus('processing');
        return 'awaiting async payment';
      case 'checkout.session.async_payment_succeeded':
        return credit(event);
      case 'checkout.session.async_payment_failed':
        await finish('failed');
        return 'failed';
      case 'checkout.session.expired':
        await finish('expired');
        return 'expired';
    }
  }

  /** No event arrived in time: ask Stripe directly rather than assume. */
  async function reconcile(): Promise<void> {
    const sessionId = state.checkoutSession?.id;
    const snapshot = sessionId ? await acts.retrieveCheckoutSession({ tenantId: state.tenantId, sessionId }) : undefined;
    if (snapshot && snapshot.paymentStatus === 'paid') {
      await credit({ ...snapshot, eventId: `reconcile:${snapshot.sessionId}`, type: 'checkout.session.completed' });
      return;
    }
    await finish(state.status === 'processing' ? 'failed' : 'expired');
  }

  if (input.accountId === undefined) {
    const known = await acts.loadTopUp({ tenantId: input.tenantId, topUpId: input.topUpId });
    if (!known) {
      // Only top-ups created through our API may credit anything; a stray session is logged and dropped.
      await condition(() => pending.length > 0);
      for (const event of pending.splice(0)) {
        state.eventLog.push({ eventId: event.eventId, type: event.type, outcome: 'ignored: unknown top-up' });
      }
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
  setStatus(state.status);

  while (!TERMINAL.has(state.status)) {
    const waitMs = state.status === 'processing' ? ASYNC_PAYMENT_WAIT_MS : CHECKOUT_WAIT_MS;
    const gotEvent = await condition(() => pending.length > 0, waitMs);
    if (!gotEvent) {
      await reconcile();
      break;
    }
    while (pending.length > 0) {
      const event = pending.shift()!;
      // Marked seen before applying, so a redelivery arriving while the credit activity runs is a duplicate.
      state.seenEventIds.push(event.eventId);
      let outcome: string;
      try {
        outcome = await apply(event);
      } catch (error) {
        const rejected = rejectedInput(error);
        if (rejected === undefined || !patched(TOPUP_REJECTED_INPUT_PATCH)) throw error;
        log.warn('top-up event rejected', { eventId: event.eventId, type: event.type, rejected });
        outcome = `rejected: ${rejected}`;
      }
      state.eventLog.push({ eventId: event.eventId, type: event.type, outcome });
      if (state.eventLog.length > EVENT_LOG_LIMIT) state.eventLog.shift();
    }
    if (workflowInfo().continueAsNewSuggested) log.warn('top-up history is unexpectedly large');
  }

  // Events queued in the same task as the terminal one are logged but cannot change a terminal state.
  for (const event of pending.splice(0)) {
    state.eventLog.push({ eventId: event.eventId, type: event.type, outcome: `ignored: already ${state.status}` });
  }
  await condition(allHandlersFinished);
  return state;
}
