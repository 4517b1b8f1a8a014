import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { z } from '../../zod.js';

const stuckWork = z
  .object({
    workflow_id: z.string(),
    workflow_type: z.string(),
    reason: z.string(),
    activity: z.string().nullable(),
    error: z.string().nullable(),
    attempts: z.number().int().nullable(),
    skippable: z.boolean(),
  })
  .openapi('StuckWork');

const workflowParams = z.object({ workflow_id: z.string().min(1).max(300) });

const actionResult = z.object({ workflow_id: z.string(), action: z.enum(['retry', 'skip']), activity: z.string() }).openapi('AttentionAction');

export const contracts = {
  listAttention: {
    summary: 'Work that stopped for an operator after its retries ran out (admin)',
    responses: {
      200: jsonResponse('From Temporal visibility: NeedsAttention = true for this tenant', z.object({ data: z.array(stuckWork) }).openapi('StuckWorkList')),
      403: problemResponse('Not an admin'),
    },
  },
  retryWork: {
    summary: 'Run the stuck step again (admin)',
    params: workflowParams,
    body: z.object({}).optional(),
    responses: {
      200: jsonResponse('The workflow runs the step again', actionResult),
      404: problemResponse('No such workflow for this tenant'),
      409: problemResponse('Nothing in that workflow waits for an operator'),
    },
  },
  skipWork: {
    summary: 'Go on without the stuck step, where the workflow allows it (admin)',
    params: workflowParams,
    body: z.object({}).optional(),
    responses: {
      200: jsonResponse('The workflow went on without the step', actionResult),
      404: problemResponse('No such workflow for this tenant'),
      409: problemResponse('Nothing waits, or the step cannot be skipped safely'),
    },
  },
} satisfies Record<string, RouteContract>;
