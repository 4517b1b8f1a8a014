import { log, patched } from '@temporalio/workflow';
import { rejectedInput } from '../activity-options.js';

/**
 * The outcome `rejected: <type>: <message>` of an event an activity refused for good (a non-retryable failure), logged
 * as a warning with `context`. Anything else is rethrown, and so is everything in histories from before `patchId`
 * (they failed the workflow); the patch is asked only for a refusal.
 */
export function rejectedEventOutcome(error: unknown, patchId: string, warning: string, context: Record<string, unknown>): string {
  const rejected = rejectedInput(error);
  if (rejected === undefined || !patched(patchId)) throw error;
  log.warn(warning, { ...context, rejected });
  return `rejected: ${rejected}`;
}
