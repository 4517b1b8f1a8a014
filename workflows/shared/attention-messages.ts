import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** What an operator sees while a workflow waits for them. */
export interface AttentionState {
  activity: string;
  /** The last failure, shortened (the history in the Temporal UI has it in full, with its time). */
  error: string;
  /** How many times this step ran out of retries in this run. */
  attempts: number;
  skippable: boolean;
}

/** Run the step again (the dependency is back, the data was fixed). */
export const retryUpdate = defineUpdate<{ activity: string }>('retry');
/** Go on without the step; allowed only for steps the workflow marks as safe to skip. */
export const skipUpdate = defineUpdate<{ activity: string }>('skip');
export const attentionQuery = defineQuery<AttentionState | null>('attention');

export const NOTHING_TO_RETRY = 'NothingToRetry';
export const NOT_SKIPPABLE = 'NotSkippable';
