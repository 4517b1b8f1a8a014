import type { ExcessPaymentInput, ExcessPaymentRecord } from '../../activities/transaction-types.js';
import type { RetrySchedule } from '../activity-options.js';

export const EXCESS_PAYMENT_WORKFLOW_TYPE = 'excessPaymentWorkflow';

export interface ExcessPaymentWorkflowInput extends ExcessPaymentInput {
  retry: RetrySchedule;
}

export type ExcessPaymentWorkflow = (input: ExcessPaymentWorkflowInput) => Promise<ExcessPaymentRecord>;
