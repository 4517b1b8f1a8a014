/** The baseline: the least a Temporal app can do to credit a ledger, one workflow running one activity. */
import { proxyActivities } from '@temporalio/workflow';
import type { BenchCreditActivities, BenchCreditInput } from './credit-activity.js';

const { benchCredit } = proxyActivities<BenchCreditActivities>({ startToCloseTimeout: '30 seconds' });

export async function benchCreditWorkflow(input: BenchCreditInput): Promise<void> {
  await benchCredit(input);
}
