import type { WebhookHandlerMap } from '../types.js';

/** product.* and price.* events → refresh the product cache. */
export const catalogHandlers: WebhookHandlerMap = {};
