import type { WebhookHandlerMap } from '../types.js';

/** customer.subscription.* and subscription invoice.* events → SubscriptionWorkflow. */
export const subscriptionHandlers: WebhookHandlerMap = {};
