import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDb, type Db } from '../../src/db/connection.js';
import { findFreePort } from '../../src/devstack/ports.js';
import { api } from '../helpers/app-context.js';
import { startGatewayOnly } from '../helpers/gateway-only.js';
import { getStack } from '../helpers/stack.js';
import { signatureFor, stripeEvent } from '../helpers/stripe-events.js';

/** PostgreSQL unreachable: callers (Stripe included) get 503 and retry, never a 500 or a silent 200. */
let gateway: Awaited<ReturnType<typeof startGatewayOnly>> | undefined;
let db: Db;
let baseUrl: string;
let webhookSecret: string;

beforeAll(async () => {
  const stack = getStack();
  const deadPort = await findFreePort();
  const config = loadConfig({ ...stack.env, DATABASE_URL: `postgres://nobody:x@127.0.0.1:${deadPort}/none`, LOG_LEVEL: 'silent' });
  webhookSecret = config.STRIPE_WEBHOOK_SECRET[0]!;
  db = createDb(config.DATABASE_URL);
  gateway = await startGatewayOnly(config, db);
  baseUrl = gateway.baseUrl;
});

afterAll(async () => {
  await gateway?.close();
  await db?.destroy();
});

describe('database outage', () => {
  it('answers 503 with Retry-After on API routes, webhooks and readiness', async () => {
    const balance = await api({ baseUrl }, 'GET', '/v1/credits/balance', { key: 'pk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(balance.status).toBe(503);
    expect(balance.body.code).toBe('database_unavailable');
    expect(balance.headers.get('retry-after')).toBe('5');

    const event = stripeEvent('checkout.session.completed', { id: 'cs_test_1', object: 'checkout.session', metadata: {} }, { account: 'acct_123' });
    const payload = JSON.stringify(event);
    const webhook = await api({ baseUrl }, 'POST', '/v1/webhooks/stripe', {
      rawBody: payload,
      headers: { 'stripe-signature': signatureFor(payload, webhookSecret) },
    });
    expect(webhook.status).toBe(503);

    const ready = await api({ baseUrl }, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.postgres).not.toBe('ok');
  });
});
