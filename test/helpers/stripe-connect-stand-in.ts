import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for connect.stripe.com's OAuth endpoints (stripe-mock has none): POST /oauth/token and
 * POST /oauth/deauthorize, answering like Stripe, including its OAuth error shape {error, error_description}.
 * Codes are issued by the test (what Stripe does after the user authorizes) and are single-use.
 */
export interface StandInRequest {
  path: string;
  authorization: string | undefined;
  params: Record<string, string>;
}

export interface ConnectStandIn {
  url: string;
  requests: StandInRequest[];
  /** The code Stripe would append to the redirect after the owner of `account` authorized the platform. */
  issueCode(account: string): string;
  /** Accounts currently connected to the platform (token granted, not deauthorized). */
  connected: Set<string>;
  close(): Promise<void>;
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

export async function startConnectStandIn(options: { secretKey: string; clientId: string }): Promise<ConnectStandIn> {
  const codes = new Map<string, string>();
  const requests: StandInRequest[] = [];
  const connected = new Set<string>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const params = await readForm(req);
      const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
      requests.push({ path, authorization: req.headers.authorization, params });
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(6).toString('hex')}` });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST') return reply(405, { error: 'invalid_request', error_description: 'POST only' });
      if (req.headers.authorization !== `Bearer ${options.secretKey}` && params.client_secret !== options.secretKey) {
        return reply(401, { error: 'invalid_client', error_description: 'No valid API key provided.' });
      }
      if (path === '/oauth/token') {
        if (params.grant_type !== 'authorization_code') return reply(400, { error: 'unsupported_grant_type', error_description: 'grant_type' });
        const account = params.code ? codes.get(params.code) : undefined;
        if (!account) {
          return reply(400, { error: 'invalid_grant', error_description: `Authorization code does not exist: ${params.code ?? ''}` });
        }
        codes.delete(params.code!);
        connected.add(account);
        return reply(200, {
          access_token: `sk_test_${randomBytes(12).toString('hex')}`,
          livemode: false,
          refresh_token: `rt_${randomBytes(12).toString('hex')}`,
          token_type: 'bearer',
          stripe_publishable_key: `pk_test_${randomBytes(12).toString('hex')}`,
          stripe_user_id: account,
          scope: 'read_write',
        });
      }
      if (path === '/oauth/deauthorize') {
        if (params.client_id !== options.clientId) return reply(401, { error: 'invalid_client', error_description: `No such application: '${params.client_id}'` });
        const account = params.stripe_user_id ?? '';
        if (!connected.delete(account)) {
          return reply(401, {
            error: 'invalid_client',
            error_description: `This application is not connected to stripe account ${account}, or that account does not exist.`,
          });
        }
        return reply(200, { stripe_user_id: account });
      }
      return reply(404, { error: 'invalid_request', error_description: `Unrecognized request URL (POST: ${path}).` });
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connected,
    issueCode(account) {
      const code = `ac_${randomBytes(12).toString('hex')}`;
      codes.set(code, account);
      return code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
