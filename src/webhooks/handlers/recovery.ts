import { EXCESS_PAYMENT_WORKFLOW_TYPE, type ExcessPaymentWorkflow } from '../../../workflows/excess-payment/messages.js';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { RecoveryItemKind } from '../../domain/recovery/contracts.js';
import { recordCampaignPaid } from '../../db/recovery-campaigns.js';
import { excessPaymentWorkflowId } from '../../temporal/workflow-ids.js';
import { checkoutPayment, metadataValue, optionalRef, parseShape, ref } from '../shapes.js';
import { tenantExists } from '../tenants.js';
import type { WebhookHandler, WebhookHandlerMap } from '../types.js';
import { paymentFromSession, signalTransaction } from './transactions.js';

/** Our legacy recovery metadata and the session's payment fields (item_kind is checked against ITEM_KINDS below). */
const recoverySession = z.intersection(
  checkoutPayment,
  z.looseObject({ metadata: z.looseObject({ tenant_id: ref, campaign_id: ref, item_kind: metadataValue, item_ref: optionalRef }) }),
);

const ITEM_KINDS: ReadonlySet<string> = new Set<RecoveryItemKind>(['invoice', 'subscription_invoice', 'order', 'transaction']);

/**
 * A Checkout Session from before campaigns sent each item's own instrument (metadata purpose 'recovery'). For a
 * transaction it was the instrument: the payment goes to the transaction, which settles it and stops the campaign.
 * For an invoice or an order it was a parallel charge that settled nothing: it is refunded in full, and the
 * campaign goes on with the item's own way to be paid.
 */
const routeLegacyRecoveryPayment: WebhookHandler = async (event, ctx) => {
  const raw = (event.data.object as Stripe.Checkout.Session).metadata;
  if (raw?.purpose !== 'recovery' || !raw.tenant_id || !raw.campaign_id) {
    return { status: 'ignored', reason: 'checkout session is not a recovery payment' };
  }
  const parsed = parseShape(recoverySession, event.data.object, 'recovery checkout session', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const session = parsed.data;
  const metadata = session.metadata;
  if (ctx.connectedTenantId !== undefined && ctx.connectedTenantId !== metadata.tenant_id) {
    return { status: 'ignored', reason: 'tenant mismatch' };
  }
  const payment = paymentFromSession(event, session);
  if (!payment) return { status: 'ignored', reason: 'recovery payment not settled yet' };
  const tenantId = metadata.tenant_id;
  const kind = metadata.item_kind;
  const ref = metadata.item_ref;
  if (!kind || !ITEM_KINDS.has(kind) || !ref) return { status: 'ignored', reason: 'recovery metadata names no item' };
  if (!(await tenantExists(ctx, tenantId))) return { status: 'ignored', reason: 'unknown tenant' };
  if (kind === 'transaction') {
    await recordCampaignPaid(ctx.db, { tenantId, campaignId: metadata.campaign_id, amount: payment.amount, paidAt: new Date(event.created * 1000), via: 'webhook' });
    return signalTransaction(ctx, { tenantId, ref }, payment);
  }
  const workflowId = excessPaymentWorkflowId(tenantId, payment.paymentIntentId);
  try {
    await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
      ctx.temporal.workflow.start<ExcessPaymentWorkflow>(EXCESS_PAYMENT_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: ctx.taskQueue,
        args: [
          {
            tenantId,
            paymentIntentId: payment.paymentIntentId,
            // Older campaigns created their sessions in the platform account: the refund goes where the money is.
            stripeAccount: event.account ?? null,
            item: { kind: kind as RecoveryItemKind, ref },
            amount: payment.amount,
            currency: payment.currency,
            reason: 'parallel recovery charge: the item is paid through its own instrument',
            retry: ctx.retry,
          },
        ],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    );
  } catch (error) {
    // Refunded (or refunding) already: a redelivery changes nothing.
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  ctx.log.warn({ eventId: event.id, workflowId }, 'parallel recovery charge received; refunding it');
  return { status: 'routed', workflowId };
};

export const recoveryHandlers: WebhookHandlerMap = {
  'checkout.session.completed': routeLegacyRecoveryPayment,
  'checkout.session.async_payment_succeeded': routeLegacyRecoveryPayment,
};
