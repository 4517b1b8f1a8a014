import type { WebhookHandlerMap } from '../types.js';

/** payment_intent.*, charge.refunded and refund.* events → OrderWorkflow. */
export const paymentHandlers: WebhookHandlerMap = {};
