/** Contracts of the Order workflow, its activities, the repository and the webhook router. No runtime code. */

export type OrderStatus =
  | 'pending' // an attempt is open, waiting for the customer
  | 'requires_action' // 3-D Secure or similar
  | 'processing'
  | 'failed' // the last attempt failed; a new attempt may be created
  | 'canceled'
  | 'paid'
  | 'partially_refunded'
  | 'refunded';

export type RefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer' | 'other';

export type PaymentIntentEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.canceled'
  | 'payment_intent.requires_action'
  | 'payment_intent.processing';

/** A PaymentIntent as seen in an event or a retrieve; amounts are Stripe's, in minor units. */
export interface PaymentIntentSnapshot {
  paymentIntentId: string;
  /** Stripe's PaymentIntent status (requires_payment_method, requires_action, processing, succeeded, canceled, …). */
  status: string;
  amount: number;
  amountReceived: number;
  currency: string;
  failureMessage?: string;
}

export interface RefundSnapshot {
  refundId: string;
  /** Our refund id (metadata.refund_request_id) when we created it. */
  refundRequestId?: string;
  paymentIntentId?: string;
  amount: number;
  currency: string;
  status: string;
  failureReason?: string;
}

export type OrderStripeEvent =
  | ({
      eventId: string;
      kind: 'payment_intent';
      type: PaymentIntentEventType | 'reconcile';
      /** The PaymentIntent's metadata.attempt: how a Checkout Session attempt learns its PaymentIntent. */
      attempt?: number;
    } & PaymentIntentSnapshot)
  | ({ eventId: string; kind: 'refund'; type: string } & RefundSnapshot)
  | {
      eventId: string;
      kind: 'charge_refunded';
      type: 'charge.refunded';
      paymentIntentId?: string;
      amountRefunded: number;
      currency: string;
      /** Present when Stripe included the charge's refunds list. */
      refunds?: RefundSnapshot[];
    };

export interface PaymentIntentSummary {
  id: string;
  clientSecret: string;
  attempt: number;
  status: string;
  amount: number;
  currency: string;
}

/** An order attempt paid through a Stripe Checkout Session (the order's recovery instrument). */
export interface OrderCheckoutSession {
  attempt: number;
  checkoutSessionId: string;
  url: string | null;
  /** Stripe's expires_at, epoch ms; null when not known (an attempt loaded from PostgreSQL). */
  expiresAtMs: number | null;
  /** The attempt's PaymentIntent id, or the `pending:<session id>` placeholder until a payment event names it. */
  paymentIntentId: string;
}

export interface OrderCheckoutResult extends OrderCheckoutSession {
  /** False when the given current session was still good and is answered again. */
  created: boolean;
  /** The activity's clock (epoch ms): workflow code never reads the clock. */
  nowMs: number;
}

/** A Checkout Session as Stripe knows it now, with its PaymentIntent once it has one. */
export interface OrderCheckoutSnapshot {
  checkoutSessionId: string;
  /** open | complete | expired */
  status: string;
  paymentIntent: PaymentIntentSnapshot | null;
  nowMs: number;
}

export interface RefundSummary {
  id: string;
  requestKey: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  reason: RefundReason;
  note?: string;
  status: RefundStatus;
  stripeRefundId?: string;
  failureReason?: string;
  /** True when this answer replays an earlier request with the same key. */
  replayed?: boolean;
}

export interface OrderAttemptRecord {
  attempt: number;
  /** A Checkout Session attempt whose PaymentIntent is not known yet stores `pending:<checkout session id>`. */
  paymentIntentId: string;
  /** Set while a Checkout Session attempt waits for its PaymentIntent (from the placeholder above). */
  checkoutSessionId?: string;
  status: string;
  amount: number;
  currency: string;
  amountReceived: number | null;
  failureMessage: string | null;
}

export interface OrderRecord {
  tenantId: string;
  id: string;
  customerId: string | null;
  receiptEmail: string | null;
  description: string | null;
  amount: number;
  currency: string;
  status: OrderStatus;
  currentAttempt: number;
  paymentIntentId: string | null;
  capturedAmount: number;
  refundedTotal: number;
  paidAt: string | null;
  createdAt: string;
  updatedAt: string;
  attempts: OrderAttemptRecord[];
  refunds: Array<Omit<RefundSummary, 'replayed'> & { createdAt: string }>;
}
