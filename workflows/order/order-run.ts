import { Attention } from '../shared/attention.js';
import { patched, proxyActivities } from '@temporalio/workflow';
import type { ExcessPaymentActivities } from '../../activities/excess-payments.js';
import type { OrderActivities } from '../../activities/order.js';
import type { OrderStatus, OrderStripeEvent, PaymentIntentSummary, RefundSummary } from '../../src/domain/order/contracts.js';
import type { RecoveryHookActivities } from '../../activities/recovery-hooks.js';
import { activityOptions } from '../activity-options.js';
import { CustomerIdKey, StatusKey, TenantIdKey } from '../../src/domain/search-attributes.js';
import { EventInbox } from '../shared/event-inbox.js';
import { searchAttributeWriter } from '../shared/search-attributes.js';
import { ORDER_LEAN_ACTIONS_PATCH } from './patches.js';
import type { OrderAttemptState, OrderInput, OrderRecoveryCheckout, OrderState, OrderView } from './messages.js';
import { currentAttempt, initialOrderState, orderView, remainingRefundable, statusByRefunds } from './rules.js';

/**
 * One run of an order workflow: the order's state, the activities it calls and what its handlers share (work in
 * flight, the event inbox). The handlers and the event loop live in payment-attempts.ts, recovery-checkout.ts,
 * refunds.ts and stripe-events.ts; they change the order only through this object.
 */
export class OrderRun {
  readonly state: OrderState;
  readonly inbox: EventInbox<OrderStripeEvent>;
  readonly acts: OrderActivities;
  readonly recovery: RecoveryHookActivities;
  readonly excess: ExcessPaymentActivities;
  readonly refundsInFlight = new Map<string, Promise<RefundSummary>>();
  /** What PostgreSQL knows has been loaded (always, for a continued run). */
  hydrated: boolean;
  creatingAttempt: Promise<PaymentIntentSummary> | undefined;
  openingCheckout: Promise<OrderRecoveryCheckout> | undefined;
  /** The attempt whose PaymentIntent is being canceled to make way for a Checkout Session attempt. */
  retiringAttempt: number | undefined;
  /** Bumped by every update, so the idle wait starts over. */
  touches = 0;
  /** Runs started after ORDER_LEAN_ACTIONS_PATCH. */
  readonly lean = patched(ORDER_LEAN_ACTIONS_PATCH);
  private readonly upsert = searchAttributeWriter(this.lean);

  constructor(readonly input: OrderInput) {
    const attention = new Attention();
    this.acts = attention.wrap(proxyActivities<OrderActivities>(activityOptions(input.retry)));
    this.recovery = attention.wrap(proxyActivities<RecoveryHookActivities>(activityOptions(input.retry)));
    this.excess = attention.wrap(proxyActivities<ExcessPaymentActivities>(activityOptions(input.retry)));
    this.state = input.carried ?? initialOrderState(input);
    this.inbox = new EventInbox(this.state, { seen: 500, log: 100 });
    this.hydrated = input.carried !== undefined;
  }

  currentAttempt(): OrderAttemptState | undefined {
    return currentAttempt(this.state);
  }

  remaining(): number {
    return remainingRefundable(this.state);
  }

  view(): OrderView {
    return orderView(this.state);
  }

  setStatus(status: OrderStatus): void {
    const { state } = this;
    state.status = status;
    this.upsert([
      { key: TenantIdKey, value: state.tenantId },
      { key: StatusKey, value: status },
      // Search attributes are stored unencrypted: an id only, never an email; one an older run wrote is cleared.
      ...(state.customerId ? [{ key: CustomerIdKey, value: state.customerId.includes('@') ? null : state.customerId }] : []),
    ]);
  }

  /** Paid orders move between paid / partially_refunded / refunded by their succeeded refunds. */
  refreshRefundStatus(): void {
    const next = statusByRefunds(this.state);
    if (next !== undefined && next !== this.state.status) this.setStatus(next);
  }
}
