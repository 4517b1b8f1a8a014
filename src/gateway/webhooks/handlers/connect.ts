import type { WebhookHandlerMap } from '../types.js';

/** account.application.deauthorized → disconnect the tenant's connected account. */
export const connectHandlers: WebhookHandlerMap = {};
