import { ApplicationFailure, log } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { findInvoiceRecord } from '../src/db/invoices.js';
import { findRecoverySchedule, insertCampaign, isCampaignItemSettled, updateCampaign } from '../src/db/recoveries.js';
import type { Channel, MessageKey, RecoveryMessageData, SendOutcome } from '../src/messaging/types.js';
import type { RecoverySchedule } from '../src/recoveries/schedule.js';
import { callStripe } from './errors.js';
import type { CampaignSnapshot, CampaignStatus, NewCampaignRecord, PaymentLinkResult, RecoveryCustomer, RecoveryItem } from './recovery-types.js';

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
  /** Absent until the messaging layer is wired into the worker: every send then reports a non-permanent failure. */
  messaging?: RecoveryMessenger;
}

/** Recovery Checkout Sessions live as long as Stripe allows: 24 h. Each campaign step makes a fresh one. */
const CHECKOUT_EXPIRY_SECONDS = 24 * 60 * 60;

export interface GetPaymentLinkInput {
  tenantId: string;
  campaignId: string;
  step: number;
  item: RecoveryItem;
  amount: number;
  currency: string;
  customerEmail?: string | null;
  successUrl: string;
  cancelUrl?: string;
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
}

export interface SendStepResult {
  nowMs: number;
  outcomes: Array<{ channel: Channel; outcome: SendOutcome }>;
}

async function tenantName(db: Db, tenantId: string): Promise<string> {
  const row = await db.selectFrom('tenants').select('name').where('id', '=', tenantId).executeTakeFirst();
  return row?.name ?? tenantId;
}

export function createRecoveryActivities({ db, stripe, messaging }: RecoveryActivityDeps) {
  return {
    /** Inserts the campaign row (once). Returns the current time: workflow code takes time from activity results. */
    async recordCampaign(input: NewCampaignRecord): Promise<{ nowMs: number; created: boolean; status: CampaignStatus }> {
      const { created, campaign } = await insertCampaign(db, input);
      return { nowMs: Date.now(), created, status: campaign.status };
    },

    async loadSchedule(input: { tenantId: string }): Promise<RecoverySchedule> {
      return (await findRecoverySchedule(db, input.tenantId)).schedule;
    },

    async markCampaign(snapshot: CampaignSnapshot): Promise<{ nowMs: number; updated: boolean }> {
      const updated = await updateCampaign(db, snapshot);
      return { nowMs: Date.now(), updated };
    },

    /**
     * The link a step sends: the invoice's own Payment Link when it has an active one, otherwise a Checkout
     * Session (mode payment, 24 h) whose Stripe idempotency key is the campaign step, so a retried activity
     * returns the same session and every step gets a fresh one.
     */
    async getPaymentLink(input: GetPaymentLinkInput): Promise<PaymentLinkResult> {
      if (input.item.kind === 'invoice' || input.item.kind === 'subscription_invoice') {
        const invoice = await findInvoiceRecord(db, input.tenantId, input.item.ref);
        if (invoice?.paymentLink && invoice.paymentLinkActive !== false) {
          return { url: invoice.paymentLink.url, source: 'invoice_payment_link', id: invoice.paymentLink.id, expiresAtMs: null };
        }
      }
      const metadata = {
        purpose: 'recovery',
        tenant_id: input.tenantId,
        campaign_id: input.campaignId,
        item_kind: input.item.kind,
        item_ref: input.item.ref,
        step: String(input.step),
      };
      const session = await callStripe('checkout.sessions.create', () =>
        stripe.checkout.sessions.create(
          {
            mode: 'payment',
            expires_at: Math.floor(Date.now() / 1000) + CHECKOUT_EXPIRY_SECONDS,
            success_url: input.successUrl,
            cancel_url: input.cancelUrl ?? input.successUrl,
            client_reference_id: input.campaignId,
            ...(input.customerEmail ? { customer_email: input.customerEmail } : {}),
            line_items: [
              {
                quantity: 1,
                price_data: { currency: input.currency, unit_amount: input.amount, product_data: { name: `Payment for ${input.item.ref}` } },
              },
            ],
            metadata,
            payment_intent_data: { metadata },
          },
          { idempotencyKey: `recovery:${input.tenantId}:${input.campaignId}:step:${input.step}` },
        ),
      );
      if (!session.url) throw ApplicationFailure.nonRetryable('Stripe returned a Checkout Session without a url', 'StripeClientError');
      return { url: session.url, source: 'checkout_session', id: session.id, expiresAtMs: session.expires_at ? session.expires_at * 1000 : null };
    },

    /**
     * Sends one step on the given channels, one after the other. Before each send the messaging layer asks
     * isItemPaid, which reads the campaign row and the item itself, so no message leaves after a payment is recorded.
     */
    async sendStep(input: SendStepInput): Promise<SendStepResult> {
      const outcomes: SendStepResult['outcomes'] = [];
      const name = await tenantName(db, input.tenantId);
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
      return { nowMs: Date.now(), outcomes };
    },
  };
}

export type RecoveryActivities = ReturnType<typeof createRecoveryActivities>;
export type { RecoveryCustomer };
