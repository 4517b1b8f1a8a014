import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { findInvoiceRecord } from '../src/db/invoices/queries.js';
import { findRecoverySchedule, insertCampaign, isCampaignItemSettled, updateCampaign } from '../src/db/recovery-campaigns.js';
import type { Channel, MessageKey, RecoveryMessageData, SendOutcome } from '../src/domain/messaging/contracts.js';
import type { RecoverySchedule } from '../src/domain/recovery/schedule.js';
import { findTenantName } from '../src/db/tenants.js';
import { ensureTransaction } from '../src/db/transactions.js';
import { returnUrlsFor } from '../src/payments/return-urls.js';
import { orderWorkflowId } from '../src/temporal/workflow-ids.js';
import type { RetrySchedule } from '../src/domain/retry/schedule.js';
// An order is paid only through its own workflow: the recovery step asks it (an update) for the checkout to send.
import { openRecoveryCheckoutUpdate, ORDER_WORKFLOW_TYPE, type OrderWorkflow } from '../workflows/order/messages.js';
import { deactivateTransactionPaymentLink, ensureInvoicePaymentLink, ensureTransactionPaymentLink, stripeInvoicePage } from './payment-instruments.js';
import { sendStepWithLink, type SendStepWithLinkInput, type SendStepWithLinkResult } from './recovery-step.js';
import type { CampaignSnapshot, CampaignStatus, NewCampaignRecord, PaymentLinkResult, RecoveryCustomer, RecoveryItem } from '../src/domain/recovery/contracts.js';

/** Who a recovery message goes to. */
export interface RecoveryRecipient {
  email?: string | null;
  phone?: string | null;
  name?: string | null;
  timeZone?: string | null;
}

/**
 * The messaging layer as the campaign uses it (src/messaging/send.ts: `sendRecoveryMessage(deps, key, recipient,
 * data, {isItemPaid})` and `unsubscribeUrl(config, tenantId, email)`), bound to its own deps and config by whoever
 * builds the worker. Sends are idempotent per MessageKey.
 */
export interface RecoveryMessenger {
  send(key: MessageKey, recipient: RecoveryRecipient, data: RecoveryMessageData, options: { isItemPaid: () => Promise<boolean> }): Promise<SendOutcome>;
  unsubscribeUrl(tenantId: string, email: string): string;
}

export interface RecoveryActivityDeps {
  db: Db;
  stripe: Stripe;
  /** Reaches the order workflow, which makes an order's instrument. */
  temporal?: Client;
  /** PUBLIC_BASE_URL and FRONTEND_BASE_URL: where customers land after paying. */
  publicBaseUrl?: string;
  frontendBaseUrl?: string;
  /** Absent until the messaging layer is wired into the worker: every send then reports a non-permanent failure. */
  messaging?: RecoveryMessenger;
}

/** Used when a campaign from before `retry` was passed reopens an order workflow. */
const DEFAULT_RETRY: RetrySchedule = { intervalsMs: [1_000, 10_000, 60_000, 600_000] };

export interface GetPaymentLinkInput {
  tenantId: string;
  campaignId: string;
  step: number;
  item: RecoveryItem;
  amount: number;
  currency: string;
  customerEmail?: string | null;
  /** Kept for histories recorded before each instrument resolved its own return pages; unused. */
  successUrl: string;
  cancelUrl?: string;
  /** The campaign's retry schedule, for an order workflow this step has to reopen. */
  retry?: RetrySchedule;
}

export interface SendStepInput {
  tenantId: string;
  campaignId: string;
  step: number;
  channels: Channel[];
  recipient: RecoveryRecipient;
  amount: number;
  currency: string;
  dueDate?: string;
  paymentUrl: string;
  /** Also read the tenant's schedule after sending (for planning the next step). */
  withSchedule?: boolean;
}

export interface SendStepResult {
  nowMs: number;
  outcomes: Array<{ channel: Channel; outcome: SendOutcome }>;
  schedule?: RecoverySchedule;
}

export interface RecordCampaignResult {
  nowMs: number;
  created: boolean;
  status: CampaignStatus;
  schedule?: RecoverySchedule;
}

async function tenantName(db: Db, tenantId: string): Promise<string> {
  return (await findTenantName(db, tenantId)) ?? tenantId;
}

export function createRecoveryActivities({ db, stripe, messaging, temporal, publicBaseUrl = 'http://localhost:3000', frontendBaseUrl }: RecoveryActivityDeps) {
  const returnUrls = { publicBaseUrl, ...(frontendBaseUrl ? { frontendBaseUrl } : {}) };
  const activities = {
    /**
     * Inserts the campaign row (once). Returns the current time: workflow code takes time from activity results.
     * With `withSchedule` it also reads the tenant's schedule, saving the workflow a loadSchedule activity.
     */
    async recordCampaign({ withSchedule, ...record }: NewCampaignRecord & { withSchedule?: boolean }): Promise<RecordCampaignResult> {
      const { created, campaign } = await insertCampaign(db, record);
      const schedule = withSchedule ? (await findRecoverySchedule(db, record.tenantId)).schedule : undefined;
      return { nowMs: Date.now(), created, status: campaign.status, ...(schedule ? { schedule } : {}) };
    },

    async loadSchedule(input: { tenantId: string }): Promise<RecoverySchedule> {
      return (await findRecoverySchedule(db, input.tenantId)).schedule;
    },

    async markCampaign(snapshot: CampaignSnapshot): Promise<{ nowMs: number; updated: boolean }> {
      const updated = await updateCampaign(db, snapshot);
      return { nowMs: Date.now(), updated };
    },

    /**
     * The item's own way to be paid, in the tenant's Stripe account, read fresh before each step: a Stripe
     * invoice's hosted page, a manual invoice's or a transaction's Payment Link (one completed session, the same
     * link every step), an order's Checkout Session made by the order workflow. Never a parallel charge.
     */
    async getPaymentLink(input: GetPaymentLinkInput): Promise<PaymentLinkResult> {
      const nowMs = Date.now();
      const settled = (id: string, source: PaymentLinkResult['source']): PaymentLinkResult => ({ url: null, source, id, expiresAtMs: null, settled: true, nowMs });
      const hostedPage = async (stripeInvoiceId: string): Promise<PaymentLinkResult> => {
        const page = await stripeInvoicePage({ db, stripe }, input.tenantId, stripeInvoiceId);
        if (page.status === 'paid' || page.status === 'void' || page.amountRemaining <= 0) return settled(stripeInvoiceId, 'hosted_invoice_page');
        return { url: page.url, source: 'hosted_invoice_page', id: stripeInvoiceId, expiresAtMs: null, nextPaymentAttemptMs: page.nextPaymentAttemptMs, nowMs };
      };
      switch (input.item.kind) {
        case 'subscription_invoice':
          return hostedPage(input.item.ref);
        case 'invoice': {
          const invoice = await findInvoiceRecord(db, input.tenantId, input.item.ref);
          if (!invoice) throw ApplicationFailure.nonRetryable(`no invoice ${input.item.ref}`, 'ValidationError');
          if (invoice.source === 'stripe') return hostedPage(invoice.stripeInvoiceId ?? invoice.id);
          if (invoice.status === 'paid' || invoice.status === 'cancelled') return settled(invoice.id, 'invoice_payment_link');
          const link = await ensureInvoicePaymentLink({ db, stripe }, input.tenantId, invoice.id);
          return { url: link.url, source: 'invoice_payment_link', id: link.id, expiresAtMs: null, nowMs };
        }
        case 'transaction': {
          const ensured = await ensureTransaction(db, { tenantId: input.tenantId, ref: input.item.ref, amount: input.amount, currency: input.currency, customerEmail: input.customerEmail });
          if (ensured.transaction.status !== 'open') return settled(input.item.ref, 'transaction_payment_link');
          const urls = await returnUrlsFor(db, returnUrls, input.tenantId, input.item);
          const txn = await ensureTransactionPaymentLink({ db, stripe }, input.tenantId, input.item.ref, { successUrl: urls.successUrl });
          return { url: txn.paymentLink!.url, source: 'transaction_payment_link', id: txn.paymentLink!.id, expiresAtMs: null, nowMs };
        }
        case 'order': {
          if (!temporal) throw ApplicationFailure.retryable('no Temporal client to reach the order workflow', 'TemporalUnavailable');
          const urls = await returnUrlsFor(db, returnUrls, input.tenantId, input.item);
          const orderId = input.item.ref;
          let checkout;
          try {
            // With start: an order workflow closed while idle reopens from PostgreSQL.
            checkout = await temporal.workflow.executeUpdateWithStart(openRecoveryCheckoutUpdate, {
              args: [{ successUrl: urls.successUrl, cancelUrl: urls.cancelUrl }],
              startWorkflowOperation: new WithStartWorkflowOperation<OrderWorkflow>(ORDER_WORKFLOW_TYPE, {
                workflowId: orderWorkflowId(input.tenantId, orderId),
                taskQueue: activityInfo().taskQueue,
                args: [{ tenantId: input.tenantId, orderId, origin: 'webhook', retry: input.retry ?? DEFAULT_RETRY }],
                workflowIdConflictPolicy: 'USE_EXISTING',
                workflowIdReusePolicy: 'ALLOW_DUPLICATE',
              }),
            });
          } catch (error) {
            // The order workflow refused (an order never created): asking again cannot help.
            if (error instanceof WorkflowUpdateFailedError) throw ApplicationFailure.nonRetryable(`order ${orderId}: ${error.cause?.message ?? error.message}`, 'ValidationError');
            throw error;
          }
          if (checkout.settled) return settled(input.item.ref, 'order_checkout');
          return { url: checkout.url, source: 'order_checkout', id: checkout.checkoutSessionId ?? input.item.ref, expiresAtMs: checkout.expiresAtMs, nowMs };
        }
      }
    },

    /** The campaign ended unpaid: a transaction's link stops taking payments (other items keep theirs). */
    async releasePaymentInstrument(input: { tenantId: string; item: RecoveryItem }): Promise<{ released: boolean }> {
      if (input.item.kind !== 'transaction') return { released: false };
      return { released: await deactivateTransactionPaymentLink({ db, stripe }, input.tenantId, input.item.ref) };
    },

    /**
     * Sends one step on the given channels, one after the other. Before each send the messaging layer asks
     * isItemPaid, which reads the campaign row and the item itself, so no message leaves after a payment is recorded.
     */
    async sendStep(input: SendStepInput): Promise<SendStepResult> {
      const outcomes: SendStepResult['outcomes'] = [];
      const name = await tenantName(db, input.tenantId);
      // Read before sending, so a failed read retries no send.
      const schedule = input.withSchedule ? (await findRecoverySchedule(db, input.tenantId)).schedule : undefined;
      const isItemPaid = () => isCampaignItemSettled(db, input.tenantId, input.campaignId);
      for (const channel of input.channels) {
        const address = channel === 'email' ? input.recipient.email : input.recipient.phone;
        if (!address) {
          outcomes.push({ channel, outcome: { status: 'skipped', reason: 'channel_unavailable' } });
          continue;
        }
        if (!messaging) {
          log.warn('recovery message not sent: the messaging layer is not wired into the worker', { campaignId: input.campaignId, channel });
          outcomes.push({ channel, outcome: { status: 'failed', permanent: false, error: 'messaging not configured' } });
          continue;
        }
        const data: RecoveryMessageData = {
          tenantName: name,
          ...(input.recipient.name ? { customerName: input.recipient.name } : {}),
          amount: input.amount,
          currency: input.currency,
          ...(input.dueDate ? { dueDate: input.dueDate } : {}),
          paymentUrl: input.paymentUrl,
          ...(channel === 'email' && input.recipient.email ? { unsubscribeUrl: messaging.unsubscribeUrl(input.tenantId, input.recipient.email) } : {}),
          step: input.step,
        };
        const key: MessageKey = { tenantId: input.tenantId, campaignId: input.campaignId, step: input.step, channel };
        const outcome = await messaging.send(key, { ...input.recipient }, data, { isItemPaid });
        outcomes.push({ channel, outcome });
        if (outcome.status === 'skipped' && outcome.reason === 'item_paid') break;
      }
      return { nowMs: Date.now(), outcomes, ...(schedule ? { schedule } : {}) };
    },
  };
  return {
    ...activities,
    /** getPaymentLink then sendStep in one activity (runs after the recovery-one-activity-per-step patch). */
    async sendStepWithLink(input: SendStepWithLinkInput): Promise<SendStepWithLinkResult> {
      return sendStepWithLink(activities, input);
    },
  };
}

export type RecoveryActivities = ReturnType<typeof createRecoveryActivities>;
export type { RecoveryCustomer };
