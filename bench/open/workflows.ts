// The bench worker's workflow bundle entry: the production workflows plus the empty-loop baseline, so both bench
// workers run the same bundle and differ only in the workflows they host.
export * from '../../workflows/index.js';
export { emptyLoopWorkflow } from './empty-loop-workflow.js';
