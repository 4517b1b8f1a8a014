import { log } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { ensureClientForStripeCustomer } from '../src/db/clients.js';
import { markInvoiceOverdue, recordInvoicePayment, setPaymentLinkActive, type RecordPaymentOutcome } from '../src/db/invoices/payments.js';
import { findInvoiceRecord } from '../src/db/invoices/queries.js';
import { upsertStripeInvoice } from '../src/db/invoices/stripe-sync.js';
import { invoiceSnapshotFrom } from '../src/stripe/invoice-snapshot.js';
import { callStripe } from './errors.js';
import { accountOptions, ensureInvoicePaymentLink } from './payment-instruments.js';
import type { InvoiceRecord, OverdueReason, PaymentLinkSummary, StripeInvoiceSnapshot, UpsertInvoiceResult } from '../src/domain/invoice/contracts.js';

export interface InvoiceActivityDeps {
  db: Db;
  stripe: Stripe;
}

type CustomerContact = { stripeCustomerId: string; email: string | null; name: string | null; phone?: string | null };

export function createInvoiceActivities({ db, stripe }: InvoiceActivityDeps) {
  /** The invoice's customer with the contact data to create its client from; undefined without a customer. */
  async function customerOf(tenantId: string, invoice: StripeInvoiceSnapshot): Promise<CustomerContact | undefined> {
    if (!invoice.customerId) return undefined;
    let { customerEmail: email, customerName: name } = invoice;
    if (email === null && name === null) {
      // The invoice did not carry them: ask Stripe once; a failure only leaves the client without contact data.
      try {
        const customer = await stripe.customers.retrieve(invoice.customerId, {}, await accountOptions(db, tenantId));
        if (!('deleted' in customer && customer.deleted)) {
          email = (customer as Stripe.Customer).email ?? null;
          name = (customer as Stripe.Customer).name ?? null;
        }
      } catch (error) {
        log.warn('could not read the Stripe customer of an invoice', { customerId: invoice.customerId, error: String(error) });
      }
    }
    return { stripeCustomerId: invoice.customerId, email, name, phone: invoice.customerPhone };
  }

  return {
    async loadInvoice(input: { tenantId: string; invoiceId: string }): Promise<{ invoice: InvoiceRecord | null; nowMs: number }> {
      return { invoice: (await findInvoiceRecord(db, input.tenantId, input.invoiceId)) ?? null, nowMs: Date.now() };
    },

    /**
     * Upsert by external id, creating a missing client from the customer's email/name. Order-safe by itself (see
     * upsertStripeInvoice), so an import may call it directly; the workflow calls it for every invoice event.
     */
    async upsertInvoiceFromStripe(input: {
      tenantId: string;
      eventId: string;
      eventCreated: number;
      invoice: StripeInvoiceSnapshot;
      authoritative?: boolean;
    }): Promise<UpsertInvoiceResult> {
      const customer = await customerOf(input.tenantId, input.invoice);
      // One transaction: a client created for the invoice's customer never outlives an invoice upsert that failed.
      const result = await db.transaction().execute(async (trx) => {
        const clientId = customer ? (await ensureClientForStripeCustomer(trx, input.tenantId, customer)).id : null;
        return upsertStripeInvoice(trx, { ...input, clientId });
      });
      return { ...result, nowMs: Date.now() };
    },

    /** Stripe's current view of an invoice, for conflicting events. null when Stripe answers for another object. */
    async retrieveInvoice(input: { tenantId: string; stripeInvoiceId: string }): Promise<StripeInvoiceSnapshot | null> {
      const invoice = await callStripe('invoices.retrieve', async () =>
        stripe.invoices.retrieve(input.stripeInvoiceId, {}, await accountOptions(db, input.tenantId)),
      );
      if (invoice.id !== input.stripeInvoiceId) {
        log.warn('Stripe answered an invoice retrieve with another invoice; ignoring it', { asked: input.stripeInvoiceId, got: invoice.id });
        return null;
      }
      return invoiceSnapshotFrom(invoice);
    },

    async markInvoiceOverdue(input: { tenantId: string; invoiceId: string; reason: OverdueReason }): Promise<{ marked: boolean }> {
      return { marked: await markInvoiceOverdue(db, input.tenantId, input.invoiceId, input.reason) };
    },

    /** Paid exactly once: the invoice_payments primary key, whatever number of events report it. */
    async recordInvoicePayment(input: {
      tenantId: string;
      invoiceId: string;
      checkoutSessionId: string;
      amount: number;
      currency: string;
      paidAtMs: number;
    }): Promise<{ outcome: RecordPaymentOutcome; invoice: InvoiceRecord | null; paidBy?: string }> {
      const result = await recordInvoicePayment(db, {
        tenantId: input.tenantId,
        invoiceId: input.invoiceId,
        reference: input.checkoutSessionId,
        amount: input.amount,
        currency: input.currency.toLowerCase(),
        paidAt: new Date(input.paidAtMs),
      });
      return { outcome: result.outcome, invoice: result.invoice ?? null, ...(result.paidBy ? { paidBy: result.paidBy } : {}) };
    },

    /**
     * Product, price and Payment Link in the tenant's connected account, each with an idempotency key derived
     * from the invoice, so retries and double clicks create one set of Stripe objects. The first stored link wins.
     */
    async createPaymentLink(input: { tenantId: string; invoiceId: string }): Promise<PaymentLinkSummary> {
      return ensureInvoicePaymentLink({ db, stripe }, input.tenantId, input.invoiceId);
    },

    /** The invoice is paid or void: nobody should pay through its link again. */
    async deactivatePaymentLink(input: { tenantId: string; invoiceId: string; paymentLinkId: string }): Promise<void> {
      await callStripe('paymentLinks.update', async () =>
        stripe.paymentLinks.update(
          input.paymentLinkId,
          { active: false },
          await accountOptions(db, input.tenantId, `invoice:${input.tenantId}:${input.invoiceId}:payment-link:deactivate`),
        ),
      );
      await setPaymentLinkActive(db, input.tenantId, input.invoiceId, false);
    },
  };
}

export type InvoiceActivities = ReturnType<typeof createInvoiceActivities>;
