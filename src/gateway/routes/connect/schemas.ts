import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { text } from '../../schemas.js';
import { z } from '../../zod.js';

const startResponse = z
  .object({ url: z.string().openapi({ description: 'Send the admin’s browser here (Stripe’s OAuth authorize page).' }), expires_at: z.number().int() })
  .openapi('ConnectStart');
const connectionResponse = z
  .object({
    connected: z.boolean(),
    stripe_account_id: z.string().nullable(),
    connected_at: z.string().nullable(),
    disconnected_at: z.string().nullable(),
  })
  .openapi('ConnectStatus');
const callbackResponse = z
  .object({ code: z.literal('connected'), connected: z.literal(true), tenant_id: z.string(), stripe_account_id: z.string() })
  .openapi('ConnectCallbackResult');
const callbackQuery = z.object({
  code: text({ max: 512 }).optional(),
  state: text({ max: 2048 }).optional(),
  scope: text({ max: 200 }).optional(),
  error: text({ max: 200 }).optional(),
  error_description: text({ max: 2000 }).optional(),
});

/** The callback answers with an HTML result page unless the caller asks for JSON (then problem details). */
const pageOrProblem = (description: string) => ({
  description,
  content: { ...problemResponse(description).content, 'text/html': { schema: z.string() } },
});

export const contracts = {
  startOnboarding: {
    summary: 'Start connecting the tenant’s Stripe account (Standard, OAuth): returns the authorize URL (admin)',
    responses: {
      200: jsonResponse('Authorize URL with a signed, single-use state valid for 10 minutes', startResponse),
      403: problemResponse('Not an admin'),
      503: problemResponse('Connect not configured (connect_not_configured names the missing variables)'),
    },
  },
  oauthCallback: {
    summary:
      'OAuth redirect target (the browser coming back from Stripe; no API key, authenticated by the signed state). ' +
      'With a frontend base URL (the tenant\'s, PUT /v1/admin/frontend, else FRONTEND_BASE_URL) a browser is redirected (303) to ' +
      '<base>/connect/stripe/result?status=connected or ?status=error&code=<code>; without one it gets an HTML page. ' +
      'JSON when Accept: application/json. Codes: access_denied, invalid_state, state_expired, state_reused, ' +
      'redirect_mismatch, oauth_exchange_failed, oauth_error, account_already_connected, connect_not_configured',
    query: callbackQuery,
    // Each answer as an HTML page, or as JSON / problem details when the caller accepts JSON.
    responses: {
      200: {
        description: 'Connected: the account is stored for the tenant the state was issued to',
        content: { 'application/json': { schema: callbackResponse }, 'text/html': { schema: z.string() } },
      },
      303: {
        description: 'A browser (no Accept: application/json) with a frontend base URL configured: redirected to the app with ?status=connected or ?status=error&code=<code>',
        headers: { Location: { description: 'The frontend result page', schema: { type: 'string' as const } } },
      },
      400: pageOrProblem('access_denied, invalid_state, state_expired, redirect_mismatch, oauth_exchange_failed or oauth_error; or an invalid query'),
      401: pageOrProblem('unauthenticated: credentials were presented and are not valid'),
      403: pageOrProblem('invalid_state: the caller’s credentials belong to another tenant or user than the state'),
      409: pageOrProblem('state_reused, or account_already_connected to another tenant'),
      500: pageOrProblem('internal_error'),
      502: pageOrProblem('oauth_exchange_failed: Stripe unreachable'),
      503: pageOrProblem('connect_not_configured; or (JSON) database_unavailable'),
    },
  },
  connectionStatus: {
    summary: 'The tenant’s connected Stripe account, if any',
    responses: { 200: jsonResponse('Connection status', connectionResponse) },
  },
  disconnect: {
    summary: 'Disconnect the tenant’s Stripe account (deauthorizes the platform at Stripe) (admin)',
    responses: {
      200: jsonResponse('Disconnected', connectionResponse),
      403: problemResponse('Not an admin'),
      404: problemResponse('not_connected'),
      502: problemResponse('deauthorize_failed: Stripe unreachable or refused; still connected, retry'),
      503: problemResponse('connect_not_configured'),
    },
  },
} satisfies Record<string, RouteContract>;
