import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Router } from 'express';
import { attentionQuery, NOT_SKIPPABLE, NOTHING_TO_RETRY, retryUpdate, skipUpdate } from '../../../../workflows/shared/attention-messages.js';
import { updateFailureType } from '../../../temporal/errors.js';
import { HttpProblem } from '../../problem.js';
import { routerFromTable, type Handlers, type RouteDeps, type RouteTable } from '../../route.js';
import { contracts } from './schemas.js';

const table: RouteTable<typeof contracts> = [
  { method: 'get', path: '/v1/admin/attention', access: 'admin', handler: 'listAttention' },
  { method: 'post', path: '/v1/admin/attention/{workflow_id}/retry', access: 'admin', writes: true, handler: 'retryWork' },
  { method: 'post', path: '/v1/admin/attention/{workflow_id}/skip', access: 'admin', writes: true, handler: 'skipWork' },
];

/** Visibility queries quote values; tenant ids are ours, but never trust a quote in them. */
const quoted = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const LIST_LIMIT = 100;

/** The workflow, if it belongs to this tenant (another tenant's id answers 404, as if it did not exist). */
async function ownedHandle(temporal: Client, tenantId: string, workflowId: string) {
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    const description = await handle.describe();
    const owner = description.searchAttributes?.TenantId as string[] | undefined;
    if (owner?.[0] === tenantId) return handle;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  throw new HttpProblem(404, 'not_found', 'No such workflow.');
}

async function decide(temporal: Client, tenantId: string, workflowId: string, action: 'retry' | 'skip') {
  const handle = await ownedHandle(temporal, tenantId, workflowId);
  try {
    const { activity } = await handle.executeUpdate(action === 'retry' ? retryUpdate : skipUpdate);
    return { workflow_id: workflowId, action, activity };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const type = updateFailureType(error);
      if (type === NOTHING_TO_RETRY) throw new HttpProblem(409, 'nothing_waiting', 'Nothing in this workflow waits for an operator.');
      if (type === NOT_SKIPPABLE) throw new HttpProblem(409, 'not_skippable', error.cause?.message ?? 'This step cannot be skipped safely.');
    }
    throw error;
  }
}

function attentionHandlers({ temporal, config }: RouteDeps): Handlers<typeof contracts> {
  return {
    async listAttention({ principal }, res) {
      const data = [];
      // This deployment's task queue: a namespace may hold other deployments' workflows.
      const query = `NeedsAttention = true AND TenantId = ${quoted(principal.tenantId)} AND TaskQueue = ${quoted(config.TEMPORAL_TASK_QUEUE)}`;
      for await (const info of temporal.workflow.list({ query, pageSize: LIST_LIMIT })) {
        const reason = (info.searchAttributes?.AttentionReason as string[] | undefined)?.[0] ?? 'unknown';
        const waiting = await temporal.workflow
          .getHandle(info.workflowId, info.runId)
          .query(attentionQuery)
          .catch(() => null);
        data.push({
          workflow_id: info.workflowId,
          workflow_type: info.type,
          reason,
          activity: waiting?.activity ?? null,
          error: waiting?.error ?? null,
          attempts: waiting?.attempts ?? null,
          skippable: waiting?.skippable ?? false,
        });
        if (data.length >= LIST_LIMIT) break;
      }
      res.json({ data });
    },
    async retryWork({ params, principal }, res) {
      res.json(await decide(temporal, principal.tenantId, params.workflow_id, 'retry'));
    },
    async skipWork({ params, principal }, res) {
      res.json(await decide(temporal, principal.tenantId, params.workflow_id, 'skip'));
    },
  };
}

/**
 * Stuck work, from Temporal visibility (no table of its own): workflows whose step ran out of retries wait with
 * NeedsAttention = true until an operator retries or skips the step (workflows/shared/attention.ts).
 */
export function attentionRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Admin'], table, contracts, handlers: attentionHandlers(deps) });
}
