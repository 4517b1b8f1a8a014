import type Stripe from 'stripe';
import type { listExcessPayments } from '../../../db/excess-payments.js';
import type { findCheckoutSession, findTransaction, listTransactionPayments } from '../../../db/transactions.js';

type CheckoutSessionRecord = NonNullable<Awaited<ReturnType<typeof findCheckoutSession>>>;
type TransactionRecord = NonNullable<Awaited<ReturnType<typeof findTransaction>>>;
type TransactionPayment = Awaited<ReturnType<typeof listTransactionPayments>>[number];
type ExcessPaymentRecord = Awaited<ReturnType<typeof listExcessPayments>>[number];

const idOf = (value: string | { id: string } | null | undefined): string | null => (typeof value === 'string' ? value : (value?.id ?? null));

/** What Stripe reports about a session this tenant created; the stored row fills in a missing PaymentIntent. */
export function sessionStatusJson(known: CheckoutSessionRecord, session: Stripe.Checkout.Session) {
  return {
    session_id: known.sessionId,
    status: session.status ?? null,
    payment_status: session.payment_status ?? null,
    amount_total: session.amount_total ?? null,
    currency: session.currency ?? null,
    customer_email: session.customer_details?.email ?? session.customer_email ?? null,
    payment_intent_id: idOf(session.payment_intent) ?? known.paymentIntentId,
  };
}

/** A payment of the transaction, with the refund that sent back an excess one. */
export function transactionPaymentJson(txn: TransactionRecord, payment: TransactionPayment, refund: ExcessPaymentRecord | undefined) {
  return {
    payment_intent_id: payment.paymentIntentId,
    checkout_session_id: payment.checkoutSessionId,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    settled_transaction: payment.paymentIntentId === txn.paidPaymentIntentId,
    refund: refund ? { refund_id: refund.refundId, refund_status: refund.refundStatus } : null,
  };
}
