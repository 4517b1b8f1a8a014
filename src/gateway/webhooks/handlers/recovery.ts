import type Stripe from 'stripe';
import { recordCampaignPaid } from '../../../db/recoveries.js';
import { notifyRecoveryPaid } from '../../../recoveries/start.js';
import { recoveryWorkflowId } from '../../../temporal/workflow-ids.js';
import type { WebhookHandler, WebhookHandlerMap } from '../types.js';

/** A customer paid through a recovery campaign's Checkout link: record it, then stop the campaign at once. */
const routeRecoveryPayment: WebhookHandler = async (event, ctx) => {
  const session = event.data.object as Stripe.Checkout.Session;
  const metadata = session.metadata ?? {};
  if (metadata.purpose !== 'recovery' || !metadata.tenant_id || !metadata.campaign_id) {
    return { status: 'ignored', reason: 'checkout session is not a recovery payment' };
  }
  if (ctx.connectedTenantId !== undefined && ctx.connectedTenantId !== metadata.tenant_id) {
    return { status: 'ignored', reason: 'tenant mismatch' };
  }
  if (session.payment_status !== 'paid' && session.payment_status !== 'no_payment_required') {
    return { status: 'ignored', reason: 'recovery payment not settled yet' };
  }
  const tenantId = metadata.tenant_id;
  const campaignId = metadata.campaign_id;
  await recordCampaignPaid(ctx.db, { tenantId, campaignId, amount: session.amount_total ?? 0, paidAt: new Date(event.created * 1000), via: 'webhook' });
  await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
    notifyRecoveryPaid(ctx.temporal, tenantId, { campaignId }, { via: 'webhook', amount: session.amount_total ?? undefined, reference: session.id, paidAtMs: event.created * 1000 }),
  );
  return { status: 'routed', workflowId: recoveryWorkflowId(tenantId, campaignId) };
};

export const recoveryHandlers: WebhookHandlerMap = {
  'checkout.session.completed': routeRecoveryPayment,
  'checkout.session.async_payment_succeeded': routeRecoveryPayment,
};
