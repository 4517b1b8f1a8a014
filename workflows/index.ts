export { topUpWorkflow } from './topup.js';
