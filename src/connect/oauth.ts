import Stripe from 'stripe';
import type { Config } from '../config.js';

/** Stripe Connect OAuth (Standard accounts): authorize URL, code exchange, deauthorization. */

export type ConnectConfig = Pick<
  Config,
  | 'STRIPE_CONNECT_CLIENT_ID'
  | 'STRIPE_CONNECT_BASE_URL'
  | 'CONNECT_REDIRECT_URI'
  | 'CONNECT_STATE_SECRET'
  | 'STRIPE_SECRET_KEY'
  | 'STRIPE_API_VERSION'
  | 'PUBLIC_BASE_URL'
>;

export interface ConnectSettings {
  clientId: string;
  secretKey: string;
  baseUrl: string;
  redirectUri: string;
}

export const CALLBACK_PATH = '/v1/connect/stripe/callback';

/** CONNECT_REDIRECT_URI, or the callback route under PUBLIC_BASE_URL. */
export function connectRedirectUri(config: Pick<Config, 'CONNECT_REDIRECT_URI' | 'PUBLIC_BASE_URL'>): string {
  return config.CONNECT_REDIRECT_URI ?? `${config.PUBLIC_BASE_URL.replace(/\/+$/, '')}${CALLBACK_PATH}`;
}

/** The settings, or the names of the variables that are missing (for a 503 that says what to set). */
export function connectSettings(config: ConnectConfig): { ok: true; settings: ConnectSettings } | { ok: false; missing: string[] } {
  const missing = [
    ...(config.STRIPE_CONNECT_CLIENT_ID ? [] : ['STRIPE_CONNECT_CLIENT_ID']),
    ...(config.STRIPE_SECRET_KEY ? [] : ['STRIPE_SECRET_KEY']),
  ];
  if (missing.length > 0) return { ok: false, missing };
  return {
    ok: true,
    settings: {
      clientId: config.STRIPE_CONNECT_CLIENT_ID!,
      secretKey: config.STRIPE_SECRET_KEY,
      baseUrl: config.STRIPE_CONNECT_BASE_URL,
      redirectUri: connectRedirectUri(config),
    },
  };
}

export function authorizeUrl(settings: ConnectSettings, state: string): string {
  const url = new URL('/oauth/authorize', settings.baseUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('scope', 'read_write');
  url.searchParams.set('redirect_uri', settings.redirectUri);
  url.searchParams.set('state', state);
  return url.toString();
}

export interface ConnectedAccountGrant {
  stripeUserId: string;
  livemode: boolean | undefined;
  scope: string | undefined;
}

export interface ConnectOAuthClient {
  /** POST /oauth/token grant_type=authorization_code. Throws Stripe.errors.StripeOAuthError (invalid_grant, …). */
  exchangeCode(code: string): Promise<ConnectedAccountGrant>;
  /** POST /oauth/deauthorize. Throws Stripe.errors.StripeOAuthError when Stripe refuses. */
  deauthorize(stripeUserId: string): Promise<void>;
}

/**
 * stripe-node's `oauth.token` / `oauth.deauthorize` go to the SDK's "connect" base address, which it resolves
 * per client, not per request: connect.stripe.com, unless the client was built with a non-default `host`, in
 * which case that host (with the client's port and protocol) is used for every base. The app's main client
 * points at api.stripe.com or stripe-mock (which has no OAuth endpoints), so OAuth gets its own client whose
 * host/port/protocol come from STRIPE_CONNECT_BASE_URL. The SDK authenticates with the secret key as a Bearer
 * token, which Stripe accepts in place of client_secret. No automatic retries: an authorization code is
 * single-use, so a retried exchange after a lost response would only fail with invalid_grant.
 */
export function createConnectOAuthClient(settings: ConnectSettings, apiVersion: string): ConnectOAuthClient {
  const base = new URL(settings.baseUrl);
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  const stripe = new Stripe(settings.secretKey, {
    apiVersion: apiVersion as Stripe.LatestApiVersion,
    host: base.hostname,
    port: base.port || (protocol === 'http' ? 80 : 443),
    protocol,
    maxNetworkRetries: 0,
    timeout: 15_000,
    appInfo: { name: 'payments-orchestrator' },
  });
  return {
    async exchangeCode(code) {
      const token = await stripe.oauth.token({ grant_type: 'authorization_code', code });
      if (typeof token.stripe_user_id !== 'string' || !/^acct_[A-Za-z0-9]+$/.test(token.stripe_user_id)) {
        throw new Error('The OAuth token response has no stripe_user_id.');
      }
      return { stripeUserId: token.stripe_user_id, livemode: token.livemode, scope: token.scope };
    },
    async deauthorize(stripeUserId) {
      await stripe.oauth.deauthorize({ client_id: settings.clientId, stripe_user_id: stripeUserId });
    },
  };
}
