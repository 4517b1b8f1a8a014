/**
 * Starting and settling recovery campaigns from anywhere that holds a Temporal client: the gateway, and
 * activities of the invoice / subscription / order workflows (their onOverdue / onPaymentFailed seams).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { RecoveryCustomer, RecoveryItem } from '../domain/recovery/contracts.js';
import type { RetrySchedule } from '../domain/retry/schedule.js';
import { paymentReceivedSignal, type PaymentReceived, RECOVERY_WORKFLOW_TYPE, type RecoveryWorkflow } from '../../workflows/recovery/messages.js';
import { recoveryWorkflowId } from '../temporal/workflow-ids.js';
import { campaignIdFor } from './campaign-id.js';
import { recoveryStartSearchAttributes } from './search-attributes.js';

export interface NewRecoveryCampaign {
  tenantId: string;
  item: RecoveryItem;
  /** Minor units. */
  amount: number;
  currency: string;
  customer: RecoveryCustomer;
  /** ISO date of the item, for the message wording. */
  dueDate?: string;
  metadata?: Record<string, string>;
}

export interface StartRecoveryOptions {
  taskQueue: string;
  retry: RetrySchedule;
  /** Where Checkout sends the customer after paying. */
  successUrl: string;
}

export type StartRecoveryResult =
  | { outcome: 'running'; campaignId: string; workflowId: string }
  /** A campaign for this item already ran to its end (paid, cancelled, expired, exhausted): never restarted. */
  | { outcome: 'finished'; campaignId: string; workflowId: string };

/**
 * Starts the campaign for one unpaid item, idempotently by business key: a second call for the same item
 * (a retried activity, a repeated API request) attaches to the running campaign and changes nothing.
 */
export async function startRecoveryCampaign(client: Client, options: StartRecoveryOptions, campaign: NewRecoveryCampaign): Promise<StartRecoveryResult> {
  const campaignId = campaignIdFor(campaign.item);
  const workflowId = recoveryWorkflowId(campaign.tenantId, campaignId);
  try {
    await client.workflow.start<RecoveryWorkflow>(RECOVERY_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [
        {
          tenantId: campaign.tenantId,
          campaignId,
          item: campaign.item,
          amount: campaign.amount,
          currency: campaign.currency.toLowerCase(),
          customer: campaign.customer,
          ...(campaign.dueDate ? { dueDate: campaign.dueDate } : {}),
          metadata: campaign.metadata ?? {},
          successUrl: options.successUrl,
          retry: options.retry,
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: recoveryStartSearchAttributes(campaign.tenantId, campaign.customer),
    });
    return { outcome: 'running', campaignId, workflowId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { outcome: 'finished', campaignId, workflowId };
    throw error;
  }
}

/**
 * Tells the campaign for `item` that it was paid (webhook, invoice/order/subscription workflow, manual). The
 * workflow sends no further step; a send already in flight re-reads the campaign row and the item (invoice, order)
 * before each message, so record the payment in the item's table first. `not_running`: no campaign, or it ended.
 */
export async function notifyRecoveryPaid(
  client: Client,
  tenantId: string,
  item: RecoveryItem | { campaignId: string },
  payment: PaymentReceived,
): Promise<'signalled' | 'not_running'> {
  const campaignId = 'campaignId' in item ? item.campaignId : campaignIdFor(item);
  try {
    await client.workflow.getHandle(recoveryWorkflowId(tenantId, campaignId)).signal(paymentReceivedSignal, payment);
    return 'signalled';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'not_running';
    throw error;
  }
}
