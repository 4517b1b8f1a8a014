// The bench worker's workflow bundle entry: the product's workflows plus the baseline's one-activity workflow.
export * from '../../workflows/index.js';
export { benchCreditWorkflow } from './credit-workflow.js';
