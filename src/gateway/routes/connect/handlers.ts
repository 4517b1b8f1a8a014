import type { Request } from 'express';
import Stripe from 'stripe';
import { authorizeUrl, connectSettings, createConnectOAuthClient, type ConnectOAuthClient, type ConnectSettings } from '../../../connect/oauth.js';
import { isStateExpired, newNonce, nonceHash, signState, stateKey, verifyState } from '../../../connect/state.js';
import {
  AccountAlreadyConnectedError,
  connectTenantAccount,
  consumeOAuthState,
  disconnectTenantAccount,
  findTenantConnection,
  insertOAuthState,
} from '../../../db/connect.js';
import type { Logger } from '../../../logger.js';
import { frontendBaseUrlFor, frontendUrls } from '../../../payments/frontend-urls.js';
import type { Principal } from '../../auth.js';
import { HttpProblem } from '../../problem.js';
import type { Handlers, RouteDeps } from '../../route.js';
import { afterAccountLinked } from './linked.js';
import { ERROR_TITLES, resultPage } from './page.js';
import type { contracts } from './schemas.js';

/** How long a started onboarding may take before its state expires. */
export const CONNECT_STATE_TTL_SECONDS = 10 * 60;

/** Principal → the subject stored with (and signed into) the state: the JWT user or the API key id. */
function subjectOf(principal: Principal, req: Request): string {
  if (principal.kind === 'jwt') return `user:${principal.userId}`;
  const header = req.header('authorization');
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.header('x-api-key');
  const keyId = /^pk_([0-9a-f]{16})_/.exec(token ?? '')?.[1];
  return `key:${keyId ?? 'unknown'}`;
}

function connectionJson(connection: Awaited<ReturnType<typeof findTenantConnection>>) {
  return {
    connected: Boolean(connection?.stripeAccountId),
    stripe_account_id: connection?.stripeAccountId ?? null,
    connected_at: connection?.connectedAt?.toISOString() ?? null,
    disconnected_at: connection?.disconnectedAt?.toISOString() ?? null,
  };
}

/**
 * Stripe Connect (Standard, OAuth) onboarding. The code exchange and the deauthorization are calls to Stripe's
 * OAuth endpoints (connect.stripe.com) made while the admin's browser or request waits, not API writes.
 */
export function connectHandlers({ config, db, temporal, authenticate }: RouteDeps): Handlers<typeof contracts> {
  const key = stateKey(config);
  const configured = connectSettings(config);
  let client: ConnectOAuthClient | undefined;

  function settingsOrThrow(): { settings: ConnectSettings; oauth: ConnectOAuthClient } {
    if (!configured.ok) {
      throw new HttpProblem(
        503,
        'connect_not_configured',
        `Stripe Connect onboarding is not configured: set ${configured.missing.join(' and ')} (see .env.example).`,
        { missing: configured.missing },
      );
    }
    client ??= createConnectOAuthClient(configured.settings, config.STRIPE_API_VERSION);
    return { settings: configured.settings, oauth: client };
  }

  return {
    async startOnboarding({ principal, raw }, res) {
      const { settings } = settingsOrThrow();
      const nonce = newNonce();
      const expiresAt = Math.floor(Date.now() / 1000) + CONNECT_STATE_TTL_SECONDS;
      const subject = subjectOf(principal, raw);
      await insertOAuthState(db, {
        nonceHash: nonceHash(nonce),
        tenantId: principal.tenantId,
        subject,
        redirectUri: settings.redirectUri,
        expiresAt: new Date(expiresAt * 1000),
      });
      const state = signState({ tenantId: principal.tenantId, subject, nonce, expiresAt }, key);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ url: authorizeUrl(settings, state), expires_at: expiresAt });
    },

    async oauthCallback({ query, raw }, res) {
      const wantsJson = raw.accepts(['text/html', 'application/json', 'application/problem+json']) !== 'text/html';
      const log = res.locals.log as Logger;
      res.setHeader('Cache-Control', 'no-store');
      /** The tenant of a state whose signature verified: its frontend base URL is trusted. */
      let verifiedTenant: string | undefined;
      /**
       * A browser goes back to the tenant's app (its frontend base URL, else FRONTEND_BASE_URL) with
       * ?status=connected or ?status=error&code=...; without a configured frontend it gets the result page.
       */
      const redirectToApp = async (result: { status: 'connected' } | { status: 'error'; code: string }): Promise<boolean> => {
        const base = await frontendBaseUrlFor(db, config, verifiedTenant).catch((error: unknown) => {
          log.warn({ err: error }, 'tenant frontend lookup failed; using FRONTEND_BASE_URL');
          return config.FRONTEND_BASE_URL ? { baseUrl: config.FRONTEND_BASE_URL } : undefined;
        });
        if (!base) return false;
        res.redirect(303, frontendUrls(base.baseUrl).connectResult(result));
        return true;
      };
      try {
        const { settings, oauth } = settingsOrThrow();
        const state = query.state === undefined ? undefined : verifyState(query.state, key);
        verifiedTenant = state?.tenantId;

        if (query.error !== undefined) {
          // Burn a genuine state so the same link cannot be completed later; nothing is stored.
          if (state && !isStateExpired(state)) await consumeOAuthState(db, nonceHash(state.nonce), state.tenantId);
          log.info({ tenantId: state?.tenantId, error: query.error }, 'Stripe Connect authorization not granted');
          if (query.error === 'access_denied') {
            throw new HttpProblem(400, 'access_denied', 'The Stripe account owner declined to connect; nothing was stored.');
          }
          throw new HttpProblem(400, 'oauth_error', `Stripe returned ${query.error}${query.error_description ? `: ${query.error_description}` : ''}. Nothing was stored.`, {
            oauth_error: query.error,
          });
        }
        if (query.state === undefined) throw new HttpProblem(400, 'invalid_state', 'The state parameter is missing.');
        if (!state) throw new HttpProblem(400, 'invalid_state', 'The state parameter is invalid or was tampered with.');

        // The browser redirect carries no credentials; if a caller does present some, they must be the state's.
        if (raw.header('authorization') !== undefined || raw.header('x-api-key') !== undefined) {
          const failed = await new Promise<unknown>((resolve) => {
            void authenticate(raw, res, resolve);
          });
          if (failed) throw failed;
          const principal = res.locals.principal as Principal;
          if (principal.tenantId !== state.tenantId || subjectOf(principal, raw) !== state.subject) {
            throw new HttpProblem(403, 'invalid_state', 'This state was issued to another tenant or user.');
          }
        }
        if (isStateExpired(state)) throw new HttpProblem(400, 'state_expired', 'This connection link expired; start again.');
        if (!query.code) throw new HttpProblem(400, 'invalid_state', 'The code parameter is missing.');

        const consumed = await consumeOAuthState(db, nonceHash(state.nonce), state.tenantId);
        if (consumed.status === 'not_found') throw new HttpProblem(400, 'invalid_state', 'This state was not issued by this service.');
        if (consumed.status === 'reused') throw new HttpProblem(409, 'state_reused', 'This connection link was already used; start again.');
        if (consumed.status === 'expired') throw new HttpProblem(400, 'state_expired', 'This connection link expired; start again.');
        if (consumed.redirectUri !== settings.redirectUri) {
          throw new HttpProblem(400, 'redirect_mismatch', 'The state was issued for a different redirect URI than this callback; start again.');
        }

        let grant;
        try {
          grant = await oauth.exchangeCode(query.code);
        } catch (error) {
          if (error instanceof Stripe.errors.StripeOAuthError) {
            log.warn({ tenantId: state.tenantId, type: error.type, message: error.message }, 'Stripe refused the OAuth code');
            throw new HttpProblem(400, 'oauth_exchange_failed', `Stripe refused the authorization code: ${error.message}. Nothing was stored.`);
          }
          log.error({ err: error, tenantId: state.tenantId }, 'OAuth code exchange failed');
          throw new HttpProblem(502, 'oauth_exchange_failed', 'Stripe could not be reached to confirm the connection; start again.');
        }

        try {
          const { previousAccountId } = await connectTenantAccount(db, {
            tenantId: state.tenantId,
            stripeAccountId: grant.stripeUserId,
            subject: consumed.subject,
            livemode: grant.livemode,
            scope: grant.scope,
          });
          log.info({ tenantId: state.tenantId, account: grant.stripeUserId, previousAccountId }, 'Stripe account connected');
          await afterAccountLinked(temporal, config, state.tenantId, grant.stripeUserId, log);
        } catch (error) {
          if (error instanceof AccountAlreadyConnectedError) {
            throw new HttpProblem(409, 'account_already_connected', 'This Stripe account is already connected to another tenant.');
          }
          throw error;
        }

        if (wantsJson) {
          res.json({ code: 'connected', connected: true, tenant_id: state.tenantId, stripe_account_id: grant.stripeUserId });
        } else if (!(await redirectToApp({ status: 'connected' }))) {
          resultPage(res, 200, 'connected', 'Stripe account connected', `Stripe account ${grant.stripeUserId} is now connected. You can close this window.`);
        }
      } catch (error) {
        if (wantsJson) throw error;
        if (error instanceof HttpProblem) {
          if (await redirectToApp({ status: 'error', code: error.code })) return;
          resultPage(res, error.status, error.code, ERROR_TITLES[error.code] ?? 'Connection failed', error.message);
          return;
        }
        log.error({ err: error }, 'Connect callback failed');
        if (await redirectToApp({ status: 'error', code: 'internal_error' })) return;
        resultPage(res, 500, 'internal_error', 'Connection failed', 'An unexpected error occurred; nothing was stored. Please try again.');
      }
    },

    async connectionStatus({ principal }, res) {
      res.json(connectionJson(await findTenantConnection(db, principal.tenantId)));
    },

    async disconnect({ principal, raw }, res) {
      const { oauth } = settingsOrThrow();
      const log = res.locals.log as Logger;
      const connection = await findTenantConnection(db, principal.tenantId);
      const account = connection?.stripeAccountId;
      if (!account) throw new HttpProblem(404, 'not_connected', 'This tenant has no connected Stripe account.');
      try {
        await oauth.deauthorize(account);
      } catch (error) {
        // Already revoked from the account's side: Stripe says the application is not connected. Clear ours too.
        const alreadyGone = error instanceof Stripe.errors.StripeOAuthError && /not connected|does not exist/i.test(error.message);
        if (!alreadyGone) {
          log.error({ err: error, tenantId: principal.tenantId, account }, 'Stripe deauthorize failed');
          throw new HttpProblem(502, 'deauthorize_failed', 'Stripe did not confirm the disconnection; the account is still connected. Retry shortly.');
        }
      }
      await disconnectTenantAccount(db, { tenantId: principal.tenantId, stripeAccountId: account, source: 'api', subject: subjectOf(principal, raw) });
      log.info({ tenantId: principal.tenantId, account }, 'Stripe account disconnected');
      res.json(connectionJson(await findTenantConnection(db, principal.tenantId)));
    },
  };
}
