/**
 * Each payable item's own way to be paid, in the tenant's Stripe account: a Stripe invoice's hosted page, a manual
 * invoice's or a transaction's Payment Link (one completed session). Recovery campaigns send these, never a
 * parallel charge. Every create carries an idempotency key derived from the item, so retries make one object.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { attachPaymentLink } from '../src/db/invoices/payments.js';
import { findInvoice } from '../src/db/invoices/queries.js';
import { attachTransactionPaymentLink, findTransaction, setTransactionPaymentLinkActive } from '../src/db/transactions.js';
import { stripeAccountFor } from '../src/stripe/connected-account.js';
import { callStripe } from './errors.js';
import type { PaymentLinkSummary } from '../src/domain/invoice/contracts.js';
import type { TransactionRecord } from '../src/domain/transaction/contracts.js';

export interface InstrumentDeps {
  db: Db;
  stripe: Stripe;
}

/** Request options for the tenant's connected account (none for a tenant without one: the platform account). */
export async function accountOptions(db: Db, tenantId: string, idempotencyKey?: string): Promise<Stripe.RequestOptions> {
  return { ...(await stripeAccountFor(db, tenantId)), ...(idempotencyKey ? { idempotencyKey } : {}) };
}

interface OneTimeLinkSpec {
  name: string;
  description?: string;
  currency: string;
  /** Minor units. */
  amount: number;
  /** Copied by Stripe onto every Checkout Session and PaymentIntent of the link: how a payment finds its item. */
  metadata: Record<string, string>;
  afterCompletion?: Stripe.PaymentLinkCreateParams.AfterCompletion;
}

/**
 * Product, price and a Payment Link that takes one completed payment, in the tenant's account, each with an
 * idempotency key under `key` so a retry creates nothing new.
 */
async function createOneTimePaymentLink({ db, stripe }: InstrumentDeps, tenantId: string, key: string, spec: OneTimeLinkSpec) {
  const { metadata } = spec;
  const product = await callStripe('products.create', async () =>
    stripe.products.create(
      { name: spec.name, ...(spec.description ? { description: spec.description } : {}), metadata },
      await accountOptions(db, tenantId, `${key}:product`),
    ),
  );
  const price = await callStripe('prices.create', async () =>
    stripe.prices.create({ product: product.id, currency: spec.currency, unit_amount: spec.amount, metadata }, await accountOptions(db, tenantId, `${key}:price`)),
  );
  const link = await callStripe('paymentLinks.create', async () =>
    stripe.paymentLinks.create(
      {
        line_items: [{ price: price.id, quantity: 1 }],
        metadata,
        payment_intent_data: { metadata },
        restrictions: { completed_sessions: { limit: 1 } },
        ...(spec.afterCompletion ? { after_completion: spec.afterCompletion } : {}),
      },
      await accountOptions(db, tenantId, `${key}:payment-link`),
    ),
  );
  return { product, price, link };
}

/** The manual invoice's Payment Link, created once (limit one completed session); the first stored link wins. */
export async function ensureInvoicePaymentLink({ db, stripe }: InstrumentDeps, tenantId: string, invoiceId: string): Promise<PaymentLinkSummary> {
  const invoice = await findInvoice(db, tenantId, invoiceId);
  if (!invoice) throw ApplicationFailure.nonRetryable(`no invoice ${invoiceId}`, 'ValidationError');
  if (invoice.paymentLink) return invoice.paymentLink;
  if (invoice.source !== 'manual') throw ApplicationFailure.nonRetryable('Stripe-sourced invoices are paid through Stripe', 'ValidationError');
  if (invoice.status === 'paid' || invoice.status === 'cancelled') {
    throw ApplicationFailure.nonRetryable(`invoice is ${invoice.status}`, 'ValidationError');
  }
  const metadata = { purpose: 'invoice', tenant_id: tenantId, invoice_id: invoiceId };
  const { link } = await createOneTimePaymentLink({ db, stripe }, tenantId, `invoice:${tenantId}:${invoiceId}`, {
    name: `Invoice ${invoiceId}`,
    ...(invoice.memo ? { description: invoice.memo.slice(0, 500) } : {}),
    currency: invoice.currency,
    amount: invoice.amountDue,
    metadata,
  });
  const stored = await attachPaymentLink(db, tenantId, invoiceId, { id: link.id, url: link.url });
  return stored?.paymentLink ?? { id: link.id, url: link.url };
}

export interface TransactionLinkOptions {
  /** Where the link sends the customer after paying. */
  successUrl: string;
}

/** The transaction's one Payment Link (limit one completed session, metadata naming tenant and transaction). */
export async function ensureTransactionPaymentLink(
  { db, stripe }: InstrumentDeps,
  tenantId: string,
  ref: string,
  options: TransactionLinkOptions,
): Promise<TransactionRecord> {
  const txn = await findTransaction(db, tenantId, ref);
  if (!txn) throw ApplicationFailure.nonRetryable(`no transaction ${ref}`, 'ValidationError');
  if (txn.paymentLink?.active) return txn;
  if (txn.paymentLink) {
    // Switched off when a campaign ended unpaid; the transaction is still owed, so its one link takes payments again.
    const linkId = txn.paymentLink.id;
    await callStripe('paymentLinks.update', async () => stripe.paymentLinks.update(linkId, { active: true }, await accountOptions(db, tenantId)));
    await setTransactionPaymentLinkActive(db, tenantId, ref, true);
    return (await findTransaction(db, tenantId, ref))!;
  }
  const { link, product, price } = await createOneTimePaymentLink({ db, stripe }, tenantId, `txn:${tenantId}:${ref}`, {
    name: `Payment ${ref}`,
    currency: txn.currency,
    amount: txn.amount,
    metadata: { purpose: 'transaction', tenant_id: tenantId, transaction_ref: ref },
    afterCompletion: { type: 'redirect', redirect: { url: options.successUrl } },
  });
  return attachTransactionPaymentLink(db, tenantId, ref, { id: link.id, url: link.url, productId: product.id, priceId: price.id });
}

/** Nobody pays through the transaction's link again (paid, or its campaign ended). */
export async function deactivateTransactionPaymentLink({ db, stripe }: InstrumentDeps, tenantId: string, ref: string): Promise<boolean> {
  const txn = await findTransaction(db, tenantId, ref);
  if (!txn?.paymentLink || !txn.paymentLink.active) return false;
  const linkId = txn.paymentLink.id;
  // No idempotency key: switching a flag is idempotent by itself, and a fixed key would replay an old answer after
  // the link was switched on again in between.
  await callStripe('paymentLinks.update', async () => stripe.paymentLinks.update(linkId, { active: false }, await accountOptions(db, tenantId)));
  await setTransactionPaymentLinkActive(db, tenantId, ref, false);
  return true;
}

export interface StripeInvoicePage {
  status: string;
  /** hosted_invoice_url; null until the invoice is finalized. */
  url: string | null;
  amountRemaining: number;
  currency: string;
  /** Stripe's next automatic collection attempt (epoch ms), if any. */
  nextPaymentAttemptMs: number | null;
}

/** Stripe's invoice, read fresh (never a stored copy): its hosted page, what it still owes and its next retry. */
export async function stripeInvoicePage({ db, stripe }: InstrumentDeps, tenantId: string, stripeInvoiceId: string): Promise<StripeInvoicePage> {
  const invoice = await callStripe('invoices.retrieve', async () => stripe.invoices.retrieve(stripeInvoiceId, {}, await accountOptions(db, tenantId)));
  if (invoice.id !== stripeInvoiceId) {
    throw ApplicationFailure.nonRetryable(`Stripe answered for invoice ${invoice.id}, not ${stripeInvoiceId}`, 'StripeClientError');
  }
  return {
    status: invoice.status ?? 'draft',
    url: invoice.hosted_invoice_url ?? null,
    amountRemaining: invoice.amount_remaining ?? invoice.amount_due ?? 0,
    currency: invoice.currency,
    nextPaymentAttemptMs: invoice.next_payment_attempt ? invoice.next_payment_attempt * 1000 : null,
  };
}
