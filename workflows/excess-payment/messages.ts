import type { ExcessPaymentInput, ExcessPaymentRecord } from '../../src/domain/transaction/contracts.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';

export const EXCESS_PAYMENT_WORKFLOW_TYPE = 'excessPaymentWorkflow';

export interface ExcessPaymentWorkflowInput extends ExcessPaymentInput {
  retry: RetrySchedule;
}

export type ExcessPaymentWorkflow = (input: ExcessPaymentWorkflowInput) => Promise<ExcessPaymentRecord>;
