import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestApp, FRONTEND_ORIGIN, type TestApp } from '../helpers/app-context.js';

/** CORS for ALLOWED_FRONTEND_ORIGINS on the API routes only (real gateway, PostgreSQL, Temporal, stripe-mock). */
let app: TestApp;
const SECOND_ORIGIN = 'http://localhost:5173';
const CODEC_ORIGIN = 'http://temporal-ui.test';

beforeAll(async () => {
  app = await createTestApp({ ALLOWED_FRONTEND_ORIGINS: `${FRONTEND_ORIGIN},${SECOND_ORIGIN}`, CODEC_ALLOWED_ORIGINS: CODEC_ORIGIN });
});

afterAll(async () => {
  await app?.close();
});

const corsHeaders = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith('access-control-'));

function preflight(path: string, origin: string, method = 'POST', requestHeaders = 'authorization,content-type,idempotency-key') {
  return fetch(`${app.baseUrl}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders },
  });
}

describe('CORS', () => {
  it('answers a preflight from an allowed origin with the methods and headers a frontend needs', async () => {
    for (const origin of [FRONTEND_ORIGIN, SECOND_ORIGIN]) {
      const response = await preflight('/v1/credits/top-ups', origin);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('vary')).toMatch(/Origin/);
      const methods = response.headers.get('access-control-allow-methods')!.split(',');
      expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']));
      const allowed = response.headers.get('access-control-allow-headers')!.toLowerCase().split(',');
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'x-request-id']));
      // Bearer tokens, not cookies: no credentials mode.
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('lets an allowed origin read the answer, X-Request-Id and Retry-After included', async () => {
    const response = await api(app, 'GET', '/v1/credits/balance', { key: app.keys.t1Admin, headers: { origin: FRONTEND_ORIGIN } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(FRONTEND_ORIGIN);
    const exposed = response.headers.get('access-control-expose-headers')!.toLowerCase().split(',');
    expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'retry-after']));

    // Problems too (the browser must be able to read a 401's body).
    const unauthenticated = await api(app, 'GET', '/v1/credits/balance', { headers: { origin: SECOND_ORIGIN } });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('access-control-allow-origin')).toBe(SECOND_ORIGIN);
  });

  it('sends no CORS headers to other origins, to requests without an Origin, or to the webhook and codec routes', async () => {
    const foreign = await preflight('/v1/credits/top-ups', 'https://evil.example');
    expect(corsHeaders(foreign.headers)).toEqual([]);
    const foreignGet = await api(app, 'GET', '/v1/credits/balance', { key: app.keys.t1Admin, headers: { origin: 'https://evil.example' } });
    expect(foreignGet.status).toBe(200);
    expect(corsHeaders(foreignGet.headers)).toEqual([]);
    // Same host, another port or scheme: another origin.
    const otherPort = await preflight('/v1/credits/top-ups', 'http://app.test:8080');
    expect(corsHeaders(otherPort.headers)).toEqual([]);
    const noOrigin = await api(app, 'GET', '/v1/credits/balance', { key: app.keys.t1Admin });
    expect(corsHeaders(noOrigin.headers)).toEqual([]);

    // Webhooks are called by Stripe and Twilio, never by a browser.
    const stripeWebhook = await api(app, 'POST', '/v1/webhooks/stripe', { rawBody: '{}', headers: { origin: FRONTEND_ORIGIN, 'stripe-signature': 't=1,v1=00' } });
    expect(stripeWebhook.status).toBe(400);
    expect(corsHeaders(stripeWebhook.headers)).toEqual([]);
    expect(corsHeaders((await preflight('/v1/webhooks/stripe', FRONTEND_ORIGIN)).headers)).toEqual([]);
    const twilio = await api(app, 'POST', '/v1/webhooks/twilio/status', {
      rawBody: 'MessageSid=SM1&MessageStatus=delivered',
      headers: { origin: FRONTEND_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(corsHeaders(twilio.headers)).toEqual([]);

    // The codec keeps its own CORS (CODEC_ALLOWED_ORIGINS): a frontend origin gets nothing from the API's.
    const codecFromUi = await preflight('/codec/decode', CODEC_ORIGIN, 'POST', 'authorization,content-type,x-namespace');
    expect(codecFromUi.status).toBe(204);
    expect(codecFromUi.headers.get('access-control-allow-origin')).toBe(CODEC_ORIGIN);
    const codecFromFrontend = await preflight('/codec/decode', FRONTEND_ORIGIN, 'POST', 'authorization,content-type');
    expect(codecFromFrontend.headers.get('access-control-allow-origin')).toBeNull();
  });
});
