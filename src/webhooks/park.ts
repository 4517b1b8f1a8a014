import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type Stripe from 'stripe';
import { PLATFORM_ACCOUNT } from '../db/event-cursors.js';
import {
  accountLinkedSignal,
  PARKED_EVENTS_WORKFLOW_TYPE,
  parkedEventsWorkflowId,
  parkEventSignal,
  type ParkedEvent,
  type ParkedEventsWorkflow,
  type ParkReason,
} from '../../workflows/parked-events/messages.js';
import type { WebhookContext, WebhookOutcome } from './types.js';

/**
 * An event that cannot be routed yet is parked, never dropped: its reference goes to the account's holding
 * workflow (started by the first one), which replays it once the account belongs to a tenant.
 */
export async function parkEvent(event: Stripe.Event, reason: ParkReason, ctx: WebhookContext): Promise<WebhookOutcome> {
  const account = event.account ?? PLATFORM_ACCOUNT;
  const workflowId = parkedEventsWorkflowId(account);
  await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
    ctx.temporal.workflow.signalWithStart<ParkedEventsWorkflow, [ParkedEvent]>(PARKED_EVENTS_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ account, retry: ctx.retry }],
      signal: parkEventSignal,
      signalArgs: [{ eventId: event.id, type: event.type, created: event.created, reason }],
    }),
  );
  ctx.log.info({ eventId: event.id, type: event.type, account, reason }, 'Stripe event parked until it can be routed');
  return { status: 'parked', workflowId };
}

/**
 * Tells the account's holding workflow (if any) that the account now belongs to a tenant, so it replays what it
 * holds. Best effort: the holding workflow also looks the account up hourly, so a missed signal only delays.
 */
export async function releaseParkedEvents(temporal: Client, account: string, tenantId: string): Promise<'signalled' | 'nothing_parked'> {
  try {
    await temporal.workflow.getHandle(parkedEventsWorkflowId(account)).signal(accountLinkedSignal, { tenantId });
    return 'signalled';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'nothing_parked';
    throw error;
  }
}
