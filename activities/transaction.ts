import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import {
  ensureTransaction,
  findTransaction,
  insertCheckoutSession,
  latestCheckoutSession,
  recordTransactionPayment,
  type EnsureTransactionResult,
} from '../src/db/transactions.js';
import { returnUrlsFor } from '../src/payments/return-urls.js';
import { callStripe } from './errors.js';
import { accountOptions, deactivateTransactionPaymentLink, ensureTransactionPaymentLink } from './payment-instruments.js';
import type { NewTransaction, TransactionCheckoutSession, TransactionPaymentEvent, TransactionPaymentOutcome, TransactionRecord } from '../src/domain/transaction/contracts.js';

export interface TransactionActivityDeps {
  db: Db;
  stripe: Stripe;
  /** PUBLIC_BASE_URL and FRONTEND_BASE_URL: where customers land after paying. */
  publicBaseUrl?: string;
  frontendBaseUrl?: string;
}

/** Checkout Sessions live as long as Stripe allows: 24 h. */
export const CHECKOUT_SESSION_TTL_SECONDS = 24 * 60 * 60;

export function createTransactionActivities({ db, stripe, publicBaseUrl = 'http://localhost:3000', frontendBaseUrl }: TransactionActivityDeps) {
  const urlsFor = (tenantId: string, ref: string) =>
    returnUrlsFor(db, { publicBaseUrl, ...(frontendBaseUrl ? { frontendBaseUrl } : {}) }, tenantId, { kind: 'transaction', ref });

  return {
    async loadTransaction(input: { tenantId: string; ref: string }): Promise<TransactionRecord | null> {
      return (await findTransaction(db, input.tenantId, input.ref)) ?? null;
    },

    async ensureTransactionRecord(input: NewTransaction): Promise<EnsureTransactionResult> {
      return ensureTransaction(db, input);
    },

    /**
     * The open Checkout Session of the transaction, or a new one once the last expired. Each session's Stripe
     * idempotency key is its sequence number within the transaction, so a retried create returns the same session.
     */
    async openTransactionCheckout(input: { tenantId: string; ref: string; customerEmail?: string | null }): Promise<TransactionCheckoutSession> {
      const txn = await findTransaction(db, input.tenantId, input.ref);
      if (!txn) throw ApplicationFailure.nonRetryable(`no transaction ${input.ref}`, 'ValidationError');
      const latest = await latestCheckoutSession(db, input.tenantId, input.ref);
      if (latest && latest.expiresAtMs > Date.now()) return latest;
      const seq = (latest?.seq ?? 0) + 1;
      const metadata = { purpose: 'transaction', tenant_id: input.tenantId, transaction_ref: input.ref };
      const urls = await urlsFor(input.tenantId, input.ref);
      const email = input.customerEmail ?? txn.customerEmail;
      // From when this activity was first scheduled, so its retries send the same parameters under the same key; the
      // key also names the parameters, so a later request for the same sequence number never collides with it.
      const expiresAt = Math.floor((Context.current().info.scheduledTimestampMs || Date.now()) / 1000) + CHECKOUT_SESSION_TTL_SECONDS;
      const variant = createHash('sha256').update(`${expiresAt}\u0000${email ?? ''}\u0000${urls.successUrl}\u0000${urls.cancelUrl}`).digest('hex').slice(0, 12);
      const session = await callStripe('checkout.sessions.create', async () =>
        stripe.checkout.sessions.create(
          {
            mode: 'payment',
            expires_at: expiresAt,
            success_url: urls.successUrl,
            cancel_url: urls.cancelUrl,
            client_reference_id: `txn:${input.ref}`,
            ...(email ? { customer_email: email } : {}),
            line_items: [{ quantity: 1, price_data: { currency: txn.currency, unit_amount: txn.amount, product_data: { name: `Payment ${input.ref}` } } }],
            metadata,
            payment_intent_data: { metadata },
          },
          await accountOptions(db, input.tenantId, `txn:${input.tenantId}:${input.ref}:checkout:${seq}:${variant}`),
        ),
      );
      const paymentIntentId = typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null);
      return insertCheckoutSession(db, input.tenantId, {
        sessionId: session.id,
        transactionRef: input.ref,
        seq,
        url: session.url,
        paymentIntentId,
        expiresAtMs: session.expires_at * 1000,
      });
    },

    async ensureTransactionLink(input: { tenantId: string; ref: string }): Promise<TransactionRecord> {
      const urls = await urlsFor(input.tenantId, input.ref);
      return ensureTransactionPaymentLink({ db, stripe }, input.tenantId, input.ref, { successUrl: urls.successUrl });
    },

    async deactivateTransactionLink(input: { tenantId: string; ref: string }): Promise<{ deactivated: boolean }> {
      return { deactivated: await deactivateTransactionPaymentLink({ db, stripe }, input.tenantId, input.ref) };
    },

    async recordTransactionPayment(input: { tenantId: string; ref: string; event: TransactionPaymentEvent }): Promise<TransactionPaymentOutcome> {
      return recordTransactionPayment(db, input.tenantId, input.ref, input.event);
    },
  };
}

export type TransactionActivities = ReturnType<typeof createTransactionActivities>;
