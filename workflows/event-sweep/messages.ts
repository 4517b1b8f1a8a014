import { defineQuery } from '@temporalio/workflow';
import type { EventSweepResult } from '../../activities/event-sweep.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';

export const EVENT_SWEEP_WORKFLOW_TYPE = 'eventSweepWorkflow';

export interface EventSweepInput {
  /** A connected account id, or `platform`. */
  account: string;
  /** The tenant owning a connected account (for the TenantId search attribute); absent for the platform. */
  tenantId?: string;
  initialLookbackSeconds: number;
  retry: RetrySchedule;
}

export interface EventSweepState {
  account: string;
  status: 'sweeping' | 'nothing_missed' | 'applied_missed_events';
  result?: EventSweepResult;
}

export type EventSweepWorkflow = (input: EventSweepInput) => Promise<EventSweepResult>;

export const eventSweepStateQuery = defineQuery<EventSweepState>('state');

/**
 * The Temporal Schedule that starts one sweep per interval for an account (and the prefix of its runs' ids). The
 * task queue is part of it: deployments sharing a namespace each sweep with their own worker.
 */
export const eventSweepScheduleId = (taskQueue: string, account: string) => `event-sweep:${taskQueue}:${account}`;
