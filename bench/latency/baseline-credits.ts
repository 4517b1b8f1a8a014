/**
 * The baseline's credits: each one a client `workflow.start` of benchCreditWorkflow, whose one activity makes the
 * same ledger insert as the top-up credit. Nothing to prepare beyond the ids: the workflow does not exist until sent.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { BENCH_TENANT_ID } from '../events.js';
import type { Credit } from './credit.js';
import type { benchCreditWorkflow } from './credit-workflow.js';

export function baselineCredits(client: Client, taskQueue: string, count: number): Credit[] {
  return Array.from({ length: count }, (_, i) => {
    const id = randomBytes(16).toString('hex');
    const credit: Credit = {
      key: `bench_credit:${id}`,
      workflowId: `bench-credit-${id}`,
      deliver: async () => {
        credit.sentAt = performance.now();
        // By type name: the workflow module proxies activities at load, which belongs in the worker's sandbox only.
        await client.workflow.start<typeof benchCreditWorkflow>('benchCreditWorkflow', {
          workflowId: credit.workflowId,
          taskQueue,
          args: [{ tenantId: BENCH_TENANT_ID, accountId: `acct_${id.slice(0, 16)}`, amount: 1000 * (1 + (i % 50)), currency: 'usd', sourceKey: credit.key }],
        });
        credit.ackAt = performance.now();
      },
    };
    return credit;
  });
}
