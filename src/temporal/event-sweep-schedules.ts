import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { RetrySchedule } from '../domain/retry/schedule.js';
import { retryScheduleFromConfig } from './retry.js';
import { EVENT_SWEEP_WORKFLOW_TYPE, eventSweepScheduleId, type EventSweepInput } from '../../workflows/event-sweep/messages.js';

export interface EventSweepScheduleOptions {
  account: string;
  tenantId?: string;
  taskQueue: string;
  intervalMinutes: number;
  initialLookbackHours: number;
  retry: RetrySchedule;
}

/**
 * Makes sure the account has its missed-event sweep schedule (created once; an existing one is left as the operator
 * may have paused or edited it in the Temporal UI). Overlapping runs are skipped: one sweep per account at a time.
 */
export async function ensureEventSweepSchedule(client: Client, options: EventSweepScheduleOptions): Promise<'created' | 'exists'> {
  const scheduleId = eventSweepScheduleId(options.taskQueue, options.account);
  const input: EventSweepInput = {
    account: options.account,
    ...(options.tenantId ? { tenantId: options.tenantId } : {}),
    initialLookbackSeconds: options.initialLookbackHours * 3600,
    retry: options.retry,
  };
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: `${options.intervalMinutes} minutes` }] },
      action: { type: 'startWorkflow', workflowType: EVENT_SWEEP_WORKFLOW_TYPE, workflowId: scheduleId, taskQueue: options.taskQueue, args: [input] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    });
    return 'created';
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) return 'exists';
    throw error;
  }
}

/** A disconnected account is no longer swept (its events are no longer ours to apply). */
export async function deleteEventSweepSchedule(client: Client, taskQueue: string, account: string): Promise<void> {
  try {
    await client.schedule.getHandle(eventSweepScheduleId(taskQueue, account)).delete();
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
}

export type SweepConfig = Pick<Config, 'STRIPE_EVENT_SWEEP_INTERVAL_MINUTES' | 'STRIPE_EVENT_SWEEP_INITIAL_LOOKBACK_HOURS' | 'TEMPORAL_TASK_QUEUE' | 'ACTIVITY_RETRY_BACKOFF'>;

/** The sweep schedule of one account, with this deployment's settings. */
export function sweepScheduleOptions(config: SweepConfig, account: string, tenantId?: string) {
  return {
    account,
    ...(tenantId ? { tenantId } : {}),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    intervalMinutes: config.STRIPE_EVENT_SWEEP_INTERVAL_MINUTES,
    initialLookbackHours: config.STRIPE_EVENT_SWEEP_INITIAL_LOOKBACK_HOURS,
    retry: retryScheduleFromConfig(config),
  };
}
