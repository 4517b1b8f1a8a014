/**
 * The typed client of the payments gateway: openapi-fetch over the types openapi-typescript generated from
 * /openapi.json (./openapi.ts, `npm run client:generate`). Paths, parameters, bodies and answers are checked by the
 * compiler; problems (4xx/5xx) come back as `error`, typed as the API's Problem.
 *
 *   import { createPaymentsClient } from 'payments-orchestrator/client';
 *   const payments = createPaymentsClient({ baseUrl: 'http://localhost:3100', token: () => session.accessToken });
 *   const { data, error } = await payments.POST('/v1/credits/top-ups', {
 *     body: { amount: 1000, currency: 'usd', mode: 'payment_intent' },
 *     params: { header: { 'idempotency-key': crypto.randomUUID() } },
 *   });
 *
 * The package exports this TypeScript source: run it through tsx, vitest or a bundler such as Vite.
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './openapi.js';

export type { components, operations, paths } from './openapi.js';

/** An RFC 9457 problem, as every error answer of the API carries it. */
export type Problem = components['schemas']['Problem'];

export type PaymentsClient = Client<paths>;

type Credentials =
  /** A tenant API key (server callers). */
  | { apiKey: string; token?: never }
  /** A frontend's JWT, or a function returning the current one (called before each request, so refreshes apply). */
  | { token: string | (() => string | Promise<string>); apiKey?: never }
  /** Public routes only. */
  | { apiKey?: undefined; token?: undefined };

export type PaymentsClientOptions = Credentials & {
  /** The gateway's origin (and path prefix, if any), e.g. https://payments.example.com. */
  baseUrl: string;
  /** Another fetch (tests, a proxy, a runtime without a global fetch). */
  fetch?: ClientOptions['fetch'];
  /** Sent with every request. */
  headers?: Record<string, string>;
};

export function createPaymentsClient(options: PaymentsClientOptions): PaymentsClient {
  const { apiKey, token } = options;
  if (apiKey !== undefined && token !== undefined) throw new TypeError('createPaymentsClient: give apiKey or token, not both');
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  if (apiKey !== undefined || token !== undefined) {
    client.use({
      async onRequest({ request }) {
        const credential = apiKey ?? (typeof token === 'function' ? await token() : token);
        if (credential) request.headers.set('Authorization', `Bearer ${credential}`);
        return request;
      },
    });
  }
  return client;
}
