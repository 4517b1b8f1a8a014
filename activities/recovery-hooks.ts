import { activityInfo, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { findClient } from '../src/db/clients.js';
import { findInvoice } from '../src/db/invoices/queries.js';
import { returnUrlsFor } from '../src/payments/return-urls.js';
// Flows start and stop recovery campaigns: the same workflow client the gateway uses.
import { notifyRecoveryPaid, startRecoveryCampaign } from '../src/recovery/start.js';
import { stripeAccountFor } from '../src/stripe/connected-account.js';
import type { RetrySchedule } from '../src/domain/retry/schedule.js';
import { callStripe } from './errors.js';
import type { PaidVia, RecoveryItem } from '../src/domain/recovery/contracts.js';

export interface RecoveryHookDeps {
  db: Db;
  stripe: Stripe;
  temporal?: Client;
  /** Where Checkout sends a customer who paid through a recovery link. */
  publicBaseUrl?: string;
  frontendBaseUrl?: string;
}

export type StartRecoveryOutcome = 'started' | 'finished' | 'not_owed' | 'no_contact' | 'owned_by_subscription' | 'unavailable';

/**
 * The seams of the invoice and subscription workflows: they start a recovery campaign for an unpaid item and tell
 * it when the item is paid. Starting is idempotent by business key, so retries attach to the same campaign.
 */
export function createRecoveryHookActivities({ db, stripe, temporal, publicBaseUrl = 'http://localhost:3000', frontendBaseUrl }: RecoveryHookDeps) {
  /** Recorded in the campaign's input for reference; each step's instrument resolves its own return pages. */
  const returnUrl = async (tenantId: string, item: RecoveryItem) =>
    (await returnUrlsFor(db, { publicBaseUrl, ...(frontendBaseUrl ? { frontendBaseUrl } : {}) }, tenantId, item)).successUrl;

  return {
    async startInvoiceRecovery(input: { tenantId: string; invoiceId: string; retry: RetrySchedule }): Promise<StartRecoveryOutcome> {
      if (!temporal) return 'unavailable';
      const invoice = await findInvoice(db, input.tenantId, input.invoiceId);
      if (!invoice || invoice.status !== 'pending' || invoice.amountDue - invoice.amountPaid <= 0) return 'not_owed';
      // A subscription's failed invoice is recovered by the subscription workflow's campaign, never twice.
      if (invoice.stripe?.subscriptionId) return 'owned_by_subscription';
      const client = invoice.clientId ? await findClient(db, input.tenantId, invoice.clientId) : undefined;
      if (!client?.email) return 'no_contact';
      const item: RecoveryItem = { kind: 'invoice', ref: invoice.id };
      const result = await startRecoveryCampaign(
        temporal,
        { taskQueue: activityInfo().taskQueue, retry: input.retry, successUrl: await returnUrl(input.tenantId, item) },
        {
          tenantId: input.tenantId,
          item,
          amount: invoice.amountDue - invoice.amountPaid,
          currency: invoice.currency,
          customer: { email: client.email, phone: client.phone, name: client.name, id: client.id },
          ...(invoice.dueAtMs !== null ? { dueDate: new Date(invoice.dueAtMs).toISOString().slice(0, 10) } : {}),
        },
      );
      return result.outcome === 'running' ? 'started' : 'finished';
    },

    /** Contact details and the amount owed come from Stripe's own invoice, never from the event we were sent. */
    async startSubscriptionInvoiceRecovery(input: {
      tenantId: string;
      subscriptionId: string;
      invoiceId: string;
      accountId: string | null;
      retry: RetrySchedule;
    }): Promise<StartRecoveryOutcome> {
      if (!temporal) return 'unavailable';
      const invoice = await callStripe('invoices.retrieve', async () =>
        stripe.invoices.retrieve(input.invoiceId, {}, await stripeAccountFor(db, input.tenantId)),
      );
      const owed = invoice.amount_remaining ?? invoice.amount_due ?? 0;
      if (invoice.status === 'paid' || invoice.status === 'void' || owed <= 0) return 'not_owed';
      if (!invoice.customer_email && !invoice.customer_phone) return 'no_contact';
      const item: RecoveryItem = { kind: 'subscription_invoice', ref: input.invoiceId };
      const result = await startRecoveryCampaign(
        temporal,
        { taskQueue: activityInfo().taskQueue, retry: input.retry, successUrl: await returnUrl(input.tenantId, item) },
        {
          tenantId: input.tenantId,
          item,
          amount: owed,
          currency: invoice.currency,
          customer: {
            email: invoice.customer_email,
            phone: invoice.customer_phone,
            name: invoice.customer_name,
            id: input.accountId ?? (typeof invoice.customer === 'string' ? invoice.customer : (invoice.customer?.id ?? null)),
          },
          metadata: { subscription_id: input.subscriptionId },
          ...(invoice.due_date ? { dueDate: new Date(invoice.due_date * 1000).toISOString().slice(0, 10) } : {}),
        },
      );
      return result.outcome === 'running' ? 'started' : 'finished';
    },

    async notifyItemPaid(input: {
      tenantId: string;
      item: RecoveryItem;
      via: PaidVia;
      amount?: number;
      reference?: string;
      /** When the item was paid (epoch ms); otherwise the campaign's own clock. */
      paidAtMs?: number;
    }): Promise<'signalled' | 'not_running' | 'unavailable'> {
      if (!temporal) return 'unavailable';
      const outcome = await notifyRecoveryPaid(temporal, input.tenantId, input.item, {
        via: input.via,
        ...(input.amount !== undefined ? { amount: input.amount } : {}),
        ...(input.reference ? { reference: input.reference } : {}),
        ...(input.paidAtMs !== undefined ? { paidAtMs: input.paidAtMs } : {}),
      });
      if (outcome === 'signalled') log.info('recovery campaign told the item is paid', { tenantId: input.tenantId, item: input.item });
      return outcome;
    },
  };
}

export type RecoveryHookActivities = ReturnType<typeof createRecoveryHookActivities>;
