/**
 * A counting proxy in front of stripe-mock: records every Stripe API call (method, path, Stripe-Account,
 * Idempotency-Key, form body) and forwards it. stripe-mock validates requests against Stripe's OpenAPI but keeps no
 * state, so a test may `patch` the answers of given paths with what Stripe would remember (an invoice's status
 * and hosted page, a session's requested expiry): the request still reaches stripe-mock, only fields are overlaid.
 *
 *   const proxy = await startStripeProxy();
 *   const app = await createTestApp(proxy.env);
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getStack } from './stack.js';

export interface StripeCall {
  method: string;
  path: string;
  account: string | undefined;
  idempotencyKey: string | undefined;
  /** The Stripe-Version header: the API version the answer is shaped in. */
  version: string | undefined;
  body: string;
  /** The urlencoded body, parsed (keys as Stripe's SDK encodes them: `metadata[purpose]`). */
  form: Record<string, string>;
}

/** Fields laid over stripe-mock's JSON answer for one call; undefined leaves it unchanged. */
export type StripePatch = (call: StripeCall, answer: Record<string, unknown>) => Record<string, unknown> | undefined;

/** A whole answer given instead of stripe-mock's (a 404 for a deleted object); undefined forwards the call. */
export type StripeAnswer = (call: StripeCall) => { status: number; headers?: Record<string, string>; body: Record<string, unknown> } | undefined;

export interface StripeProxy {
  calls: StripeCall[];
  port: number;
  /** Config overrides for createTestApp: the app's Stripe client goes through the proxy. */
  env: Record<string, string>;
  patches: StripePatch[];
  answers: StripeAnswer[];
  close(): Promise<void>;
}

function parseForm(body: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body)) form[key] = value;
  return form;
}

export async function startStripeProxy(target?: { host: string; port: number }): Promise<StripeProxy> {
  const stackEnv = getStack().env;
  const upstreamTarget = target ?? { host: stackEnv.STRIPE_API_HOST!, port: Number(stackEnv.STRIPE_API_PORT) };
  const calls: StripeCall[] = [];
  const patches: StripePatch[] = [];
  const answers: StripeAnswer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const call: StripeCall = {
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0]!,
        account: req.headers['stripe-account'] as string | undefined,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        version: req.headers['stripe-version'] as string | undefined,
        body: text,
        form: parseForm(text),
      };
      calls.push(call);
      const given = answers.map((answerFor) => answerFor(call)).find((one) => one !== undefined);
      if (given) {
        res.writeHead(given.status, { ...given.headers, 'content-type': 'application/json' }).end(JSON.stringify(given.body));
        return;
      }
      const headers = { ...req.headers, host: `${upstreamTarget.host}:${upstreamTarget.port}` };
      delete headers['accept-encoding'];
      const upstream = http.request(
        { host: upstreamTarget.host, port: upstreamTarget.port, method: req.method, path: req.url, headers },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
          answer.on('end', () => {
            let payload = Buffer.concat(answerChunks);
            if ((answer.statusCode ?? 500) < 300 && patches.length > 0) {
              let json = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
              for (const patch of patches) json = { ...json, ...(patch(call, json) ?? {}) };
              payload = Buffer.from(JSON.stringify(json));
            }
            const outHeaders = { ...answer.headers, 'content-length': String(payload.length) };
            delete outHeaders['transfer-encoding'];
            res.writeHead(answer.statusCode ?? 502, outHeaders).end(payload);
          });
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    calls,
    port,
    patches,
    answers,
    env: { STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(port), STRIPE_API_PROTOCOL: 'http' },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
