import Stripe from 'stripe';
import type { Config } from '../config.js';

export function createStripeClient(config: Pick<Config, 'STRIPE_SECRET_KEY' | 'STRIPE_API_VERSION' | 'STRIPE_API_HOST' | 'STRIPE_API_PORT' | 'STRIPE_API_PROTOCOL'> & Partial<Pick<Config, 'STRIPE_TIMEOUT_MS'>>): Stripe {
  return new Stripe(config.STRIPE_SECRET_KEY, {
    apiVersion: config.STRIPE_API_VERSION as Stripe.LatestApiVersion,
    maxNetworkRetries: 2,
    timeout: config.STRIPE_TIMEOUT_MS ?? 20_000,
    ...(config.STRIPE_API_HOST
      ? { host: config.STRIPE_API_HOST, port: config.STRIPE_API_PORT, protocol: config.STRIPE_API_PROTOCOL }
      : {}),
    appInfo: { name: 'payments-orchestrator' },
  });
}
