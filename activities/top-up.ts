import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { appendLedgerEntry } from '../src/db/ledger.js';
import { attachCheckoutSession, findTopUp, insertTopUp, setTopUpStatus, type TopUpRecord } from '../src/db/top-ups.js';
import { callStripe } from './errors.js';
import type {
  CheckoutSessionSnapshot,
  CheckoutSessionSummary,
  PaymentIntentSnapshot,
  TopUpPaymentIntent,
  TopUpStatus,
} from '../src/domain/top-up/contracts.js';

export interface TopUpActivityDeps {
  db: Db;
  stripe: Stripe;
}

const CHECKOUT_EXPIRY_SECONDS = 24 * 60 * 60;
/** PaymentIntent states Stripe still lets us cancel (processing, succeeded and canceled it does not). */
const CANCELABLE = new Set(['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture']);

const intentSnapshot = (intent: Stripe.PaymentIntent): PaymentIntentSnapshot => ({
  paymentIntentId: intent.id,
  status: intent.status,
  amountReceived: intent.amount_received ?? 0,
  currency: intent.currency,
});

export function createTopUpActivities({ db, stripe }: TopUpActivityDeps) {
  return {
    async recordTopUpCreated(input: { tenantId: string; topUpId: string; accountId: string; amount: number; currency: string }): Promise<void> {
      await insertTopUp(db, { tenantId: input.tenantId, id: input.topUpId, accountId: input.accountId, amount: input.amount, currency: input.currency });
    },

    /** Inserts the top-up row first (once: a conflict does nothing), so the workflow needs no recordTopUpCreated before it. */
    async createCheckoutSession(input: {
      tenantId: string;
      topUpId: string;
      accountId: string;
      amount: number;
      currency: string;
      successUrl: string;
      cancelUrl: string;
    }): Promise<CheckoutSessionSummary> {
      await insertTopUp(db, { tenantId: input.tenantId, id: input.topUpId, accountId: input.accountId, amount: input.amount, currency: input.currency });
      const session = await callStripe('checkout.sessions.create', () =>
        stripe.checkout.sessions.create(
          {
            mode: 'payment',
            expires_at: Math.floor(Date.now() / 1000) + CHECKOUT_EXPIRY_SECONDS,
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            client_reference_id: input.topUpId,
            line_items: [
              {
                quantity: 1,
                price_data: { currency: input.currency, unit_amount: input.amount, product_data: { name: 'Prepaid credits' } },
              },
            ],
            metadata: { purpose: 'top_up', tenant_id: input.tenantId, top_up_id: input.topUpId },
            payment_intent_data: { metadata: { purpose: 'top_up', tenant_id: input.tenantId, top_up_id: input.topUpId } },
          },
          { idempotencyKey: `topup:${input.tenantId}:${input.topUpId}:checkout-session` },
        ),
      );
      if (!session.url) throw ApplicationFailure.nonRetryable('Stripe returned a Checkout Session without a url', 'StripeClientError');
      await attachCheckoutSession(db, input.tenantId, input.topUpId, session.id);
      return { id: session.id, url: session.url, expiresAt: session.expires_at };
    },

    /**
     * An Elements top-up's PaymentIntent; the idempotency key is the business key, so a retried activity gets the same
     * one. Inserts the top-up row first (once), like createCheckoutSession.
     */
    async createTopUpPaymentIntent(input: {
      tenantId: string;
      topUpId: string;
      accountId: string;
      amount: number;
      currency: string;
    }): Promise<TopUpPaymentIntent> {
      await insertTopUp(db, { tenantId: input.tenantId, id: input.topUpId, accountId: input.accountId, amount: input.amount, currency: input.currency });
      const intent = await callStripe('paymentIntents.create', () =>
        stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency,
            automatic_payment_methods: { enabled: true },
            description: 'Prepaid credits',
            metadata: { purpose: 'top_up', tenant_id: input.tenantId, top_up_id: input.topUpId },
          },
          { idempotencyKey: `topup:${input.tenantId}:${input.topUpId}:payment-intent` },
        ),
      );
      if (!intent.client_secret) throw ApplicationFailure.nonRetryable('Stripe returned a PaymentIntent without a client_secret', 'StripeClientError');
      return { id: intent.id, clientSecret: intent.client_secret };
    },

    /**
     * No event came in time: what Stripe says about the PaymentIntent. One still awaiting payment is canceled first,
     * so it can no longer be paid after the top-up expired; if the cancel loses a race with a payment, the fresh
     * state (succeeded) is returned and credited.
     */
    async settleTopUpPaymentIntent(input: { tenantId: string; topUpId: string; paymentIntentId: string }): Promise<PaymentIntentSnapshot> {
      const intent = await callStripe('paymentIntents.retrieve', () => stripe.paymentIntents.retrieve(input.paymentIntentId));
      if (!CANCELABLE.has(intent.status)) return intentSnapshot(intent);
      try {
        const canceled = await stripe.paymentIntents.cancel(
          input.paymentIntentId,
          { cancellation_reason: 'abandoned' },
          { idempotencyKey: `topup:${input.tenantId}:${input.topUpId}:payment-intent-cancel` },
        );
        return intentSnapshot(canceled);
      } catch {
        return intentSnapshot(await callStripe('paymentIntents.retrieve', () => stripe.paymentIntents.retrieve(input.paymentIntentId)));
      }
    },

    async retrieveCheckoutSession(input: { tenantId: string; sessionId: string }): Promise<CheckoutSessionSnapshot> {
      const session = await callStripe('checkout.sessions.retrieve', () => stripe.checkout.sessions.retrieve(input.sessionId));
      return {
        sessionId: session.id,
        paymentStatus: session.payment_status as CheckoutSessionSnapshot['paymentStatus'],
        amountTotal: session.amount_total ?? 0,
        currency: session.currency ?? '',
      };
    },

    async loadTopUp(input: { tenantId: string; topUpId: string }): Promise<TopUpRecord | undefined> {
      return findTopUp(db, input.tenantId, input.topUpId);
    },

    /**
     * Credits Stripe's amount exactly once: the ledger's unique source key is the top-up, so any number of
     * events (completed, async_payment_succeeded, payment_intent.succeeded, redeliveries, a reconcile) credit it once.
     */
    async creditTopUp(input: {
      tenantId: string;
      topUpId: string;
      /** Which payment credited it (for the record): a Checkout Session or an Elements PaymentIntent. */
      checkoutSessionId?: string;
      paymentIntentId?: string;
      amount: number;
      currency: string;
    }): Promise<{ outcome: 'credited' | 'already_credited' | 'unknown_top_up'; accountId?: string }> {
      // One transaction: the ledger entry and the credited status commit together or not at all.
      return db.transaction().execute(async (trx) => {
        const topUp = await findTopUp(trx, input.tenantId, input.topUpId);
        if (!topUp) return { outcome: 'unknown_top_up' as const };
        if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
          throw ApplicationFailure.nonRetryable(`Stripe amount ${input.amount} is not creditable`, 'ValidationError');
        }
        const { created } = await appendLedgerEntry(trx, {
          tenantId: input.tenantId,
          accountId: topUp.accountId,
          currency: input.currency.toLowerCase(),
          kind: 'top_up',
          amount: input.amount,
          sourceKey: `top_up:${input.topUpId}`,
          description: `Top-up ${input.topUpId}`,
        });
        await setTopUpStatus(trx, { tenantId: input.tenantId, id: input.topUpId, status: 'credited', creditedAmount: input.amount });
        return { outcome: created ? ('credited' as const) : ('already_credited' as const), accountId: topUp.accountId };
      });
    },

    async recordTopUpStatus(input: { tenantId: string; topUpId: string; status: TopUpStatus }): Promise<void> {
      await setTopUpStatus(db, { tenantId: input.tenantId, id: input.topUpId, status: input.status });
    },
  };
}

export type TopUpActivities = ReturnType<typeof createTopUpActivities>;
