import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';

/**
 * Issue 10: hostile or sloppy input answers 400 with field errors and writes nothing; Idempotency-Key is validated
 * and bound to one request on every route that honours it; a 201 means the GET of that id works at once; upstream
 * trouble answers an honest 503 with Retry-After.
 */
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp({ RATE_LIMIT_WRITES_PER_MINUTE: '10000' });
  await app.startWorker();
});

afterAll(async () => {
  await app?.close();
});

const NUL = '\u0000';
const admin = () => app.keys.t1Admin;
const newId = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

async function count(table: string): Promise<number> {
  const row = await app.db
    .withTables<Record<string, Record<string, unknown>>>()
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function workflowsStarted(): Promise<number> {
  let n = 0;
  for await (const _ of app.temporal.workflow.list({ query: `TaskQueue = '${app.config.TEMPORAL_TASK_QUEUE}'` })) n++;
  return n;
}

function expectBadRequest(response: { status: number; body: any }, field?: string, code = 'validation_failed') {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.body.code).toBe(code);
  if (field) expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
}

describe('text fields: NUL and unpaired surrogates answer 400 and write nothing', () => {
  it('rejects NUL in invoice memo and line items, grant reason, account ids, recovery metadata and query parameters', async () => {
    const before = { ledger: await count('credit_ledger'), invoices: await count('invoices'), campaigns: await count('recovery_campaigns'), transactions: await count('transactions') };
    const workflowsBefore = await workflowsStarted();

    const invoice = (extra: Record<string, unknown>) =>
      api(app, 'POST', '/v1/invoices', { key: admin(), body: { client: { email: 'nul@example.test' }, currency: 'usd', ...extra } });
    expectBadRequest(await invoice({ amount: 1000, memo: `hello${NUL}` }), 'body.memo');
    expectBadRequest(await invoice({ line_items: [{ description: `widget${NUL}`, unit_amount: 100 }] }), 'body.line_items.0.description');
    expectBadRequest(await invoice({ amount: 1000, memo: 'half \ud800 a pair' }), 'body.memo');

    const grant = await api(app, 'POST', '/v1/credits/grants', { key: admin(), body: { account_id: 'w-nul', amount: 100, currency: 'usd', reason: `r${NUL}` } });
    expectBadRequest(grant, 'body.reason');
    const spend = await api(app, 'POST', '/v1/credits/spend', { key: admin(), body: { account_id: `w${NUL}`, amount: 1, currency: 'usd' } });
    expectBadRequest(spend, 'body.account_id');
    const topUp = await api(app, 'POST', '/v1/credits/top-ups', {
      key: admin(),
      body: { account_id: `w${NUL}`, amount: 5000, currency: 'usd' },
      headers: { origin: FRONTEND_ORIGIN },
    });
    expectBadRequest(topUp, 'body.account_id');

    const recovery = (metadata: Record<string, string>) =>
      api(app, 'POST', '/v1/recoveries', {
        key: admin(),
        body: { transaction_reference: newId('nul'), amount: 1000, currency: 'usd', customer: { email: 'a@example.test' }, metadata },
      });
    expectBadRequest(await recovery({ k: `v${NUL}` }), 'body.metadata.k');
    expectBadRequest(await recovery({ [`k${NUL}`]: 'v' }));
    const checkout = await api(app, 'POST', '/v1/checkout-sessions', {
      key: admin(),
      body: { transaction_ref: newId('nul'), amount: 1000, currency: 'usd', metadata: { note: `x${NUL}` } },
    });
    expectBadRequest(checkout, 'body.metadata.note');

    expectBadRequest(await api(app, 'GET', '/v1/recoveries?customer=a%00b', { key: admin() }), 'query.customer');
    expectBadRequest(await api(app, 'GET', '/v1/credits/balance?account_id=w%00', { key: admin() }), 'query.account_id');
    expectBadRequest(await api(app, 'GET', '/v1/invoices?client_id=%00', { key: admin() }), 'query.client_id');

    expect({ ledger: await count('credit_ledger'), invoices: await count('invoices'), campaigns: await count('recovery_campaigns'), transactions: await count('transactions') }).toEqual(before);
    expect(await workflowsStarted()).toBe(workflowsBefore);
  });

  it('keeps well-formed text, including astral characters, and trims human-written text', async () => {
    const grant = await api(app, 'POST', '/v1/credits/grants', { key: admin(), body: { account_id: 'w-emoji', amount: 100, currency: 'usd', reason: '  welcome 🎉  ' } });
    expect(grant.status).toBe(201);
    expect(grant.body.entry.description).toBe('welcome 🎉');
  });
});

describe('currencies and amounts', () => {
  it('answers 400 unsupported_currency for a currency outside the supported list', async () => {
    const spend = await api(app, 'POST', '/v1/credits/spend', { key: admin(), body: { account_id: 'w-cur', amount: 1, currency: 'xnn' } });
    expectBadRequest(spend, 'body.currency', 'unsupported_currency');
    const recovery = await api(app, 'POST', '/v1/recoveries', {
      key: admin(),
      body: { transaction_reference: newId('cur'), amount: 1000, currency: 'xnn', customer: { email: 'a@example.test' } },
    });
    expectBadRequest(recovery, 'body.currency', 'unsupported_currency');
  });

  it('refuses unsafe or absurd amounts', async () => {
    for (const amount of [0, -5, 1.5, Number.MAX_SAFE_INTEGER + 2, 1e13]) {
      const grant = await api(app, 'POST', '/v1/credits/grants', { key: admin(), body: { account_id: 'w-amt', amount, currency: 'usd', reason: 'x' } });
      expectBadRequest(grant, 'body.amount');
    }
  });
});

describe('PUT /v1/admin/recovery-schedule', () => {
  it('answers 400 with field errors for an empty step list', async () => {
    const response = await api(app, 'PUT', '/v1/admin/recovery-schedule', {
      key: admin(),
      body: { steps: [], quiet_hours: null, max_attempts: 3, expiry_days: 14 },
    });
    expectBadRequest(response, 'body.steps');
    expectBadRequest(await api(app, 'PUT', '/v1/admin/recovery-schedule', { key: admin(), body: { steps: [] } }), 'body.steps');
  });
});

describe('Idempotency-Key', () => {
  const grant = (key: string, amount = 100) =>
    api(app, 'POST', '/v1/credits/grants', {
      key: admin(),
      body: { account_id: 'w-idem', amount, currency: 'usd', reason: 'idem' },
      headers: { 'idempotency-key': key },
    });

  it('answers 400 invalid_idempotency_key for an empty, over-long or non-ASCII key, and applies nothing', async () => {
    const before = await count('credit_ledger');
    expectBadRequest(await grant(''), 'headers.idempotency-key', 'invalid_idempotency_key');
    expectBadRequest(await grant(''), 'headers.idempotency-key', 'invalid_idempotency_key');
    expectBadRequest(await grant('k'.repeat(256)), 'headers.idempotency-key', 'invalid_idempotency_key');
    expectBadRequest(await grant('clé-1'), 'headers.idempotency-key', 'invalid_idempotency_key');
    expect(await count('credit_ledger')).toBe(before);
    expect((await grant('k'.repeat(255))).status).toBe(201);
  });

  it('answers 422 idempotency_key_reused for the same key with another request on every route that honours keys', async () => {
    const reused = async (send: (body: Record<string, unknown>) => Promise<{ status: number; body: any }>, first: Record<string, unknown>, second: Record<string, unknown>) => {
      const a = await send(first);
      expect(a.status, JSON.stringify(a.body)).toBeLessThan(500);
      const replay = await send(first);
      expect(replay.status).not.toBe(422);
      const b = await send(second);
      expect(b.status, JSON.stringify(b.body)).toBe(422);
      expect(b.body.code).toBe('idempotency_key_reused');
    };
    const post = (path: string, headers: Record<string, string> = {}) => {
      const key = newId('key');
      return (body: Record<string, unknown>) => api(app, 'POST', path, { key: admin(), body, headers: { 'idempotency-key': key, ...headers } });
    };

    await reused(post('/v1/credits/grants'), { account_id: 'w-r', amount: 100, currency: 'usd', reason: 'a' }, { account_id: 'w-r', amount: 200, currency: 'usd', reason: 'a' });
    await reused(post('/v1/credits/spend'), { account_id: 'w-r', amount: 1, currency: 'usd' }, { account_id: 'w-r', amount: 2, currency: 'usd' });
    // A foreign origin is refused after the key is bound: still one request per key.
    await reused(post('/v1/credits/top-ups', { origin: 'https://evil.example' }), { amount: 5000, currency: 'usd' }, { amount: 6000, currency: 'usd' });
    await reused(post('/v1/invoices'), { client: { email: 'idem@example.test' }, currency: 'usd', amount: 1000 }, { client: { email: 'idem@example.test' }, currency: 'usd', amount: 2000 });
    await reused(post('/v1/invoices/imports'), { since: '2026-01-01' }, { since: '2026-02-01' });
    // Unknown payment (404) after the key is bound; a paid order's replay is in orders.test.ts.
    await reused(post(`/v1/payments/pi_${randomBytes(6).toString('hex')}/refunds`), { reason: 'duplicate' }, { reason: 'other' });
    await reused(post('/v1/subscriptions/checkout', { origin: 'https://evil.example' }), { price_id: 'price_a' }, { price_id: 'price_b' });

    // Keys are per tenant and per route: the same key elsewhere is a first use.
    const shared = newId('shared');
    const g1 = await api(app, 'POST', '/v1/credits/grants', { key: admin(), body: { account_id: 'w-s', amount: 1, currency: 'usd', reason: 'a' }, headers: { 'idempotency-key': shared } });
    const g2 = await api(app, 'POST', '/v1/credits/grants', { key: app.keys.t2Admin, body: { account_id: 'w-s', amount: 2, currency: 'usd', reason: 'a' }, headers: { 'idempotency-key': shared } });
    const s1 = await api(app, 'POST', '/v1/credits/spend', { key: admin(), body: { account_id: 'w-s', amount: 1, currency: 'usd' }, headers: { 'idempotency-key': shared } });
    expect([g1.status, g2.status, s1.status]).toEqual([201, 201, 201]);
  });

  it('frees a key whose first request was invalid, so the corrected request can use it', async () => {
    const key = newId('fix');
    const tooSmall = await api(app, 'POST', '/v1/orders/' + newId('ord') + '/payment-intents', { key: admin(), body: { amount: 10, currency: 'usd' } });
    expect(tooSmall.status).toBe(400);
    const bad = await api(app, 'POST', '/v1/credits/top-ups', { key: admin(), body: { amount: 49, currency: 'usd' }, headers: { 'idempotency-key': key, origin: FRONTEND_ORIGIN } });
    expect(bad.status).toBe(400);
    const good = await api(app, 'POST', '/v1/credits/top-ups', { key: admin(), body: { amount: 5000, currency: 'usd' }, headers: { 'idempotency-key': key, origin: FRONTEND_ORIGIN } });
    expect(good.status, JSON.stringify(good.body)).toBe(201);
  });
});

describe('read after create: a 201 means the GET of that id succeeds at once', () => {
  it('POST /v1/recoveries', async () => {
    const ref = newId('rac');
    const created = await api(app, 'POST', '/v1/recoveries', {
      key: admin(),
      body: { transaction_reference: ref, amount: 4200, currency: 'usd', customer: { email: 'a@example.test' }, metadata: { k: 'v' } },
    });
    expect(created.status).toBe(201);
    const got = await api(app, 'GET', `/v1/recoveries/${created.body.id}`, { key: admin() });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: created.body.id, amount: 4200, currency: 'usd', metadata: { k: 'v' } });
  });

  it('POST /v1/credits/top-ups', async () => {
    const created = await api(app, 'POST', '/v1/credits/top-ups', { key: admin(), body: { amount: 5000, currency: 'usd', account_id: 'w-rac' }, headers: { origin: FRONTEND_ORIGIN } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const got = await api(app, 'GET', `/v1/credits/top-ups/${created.body.id}`, { key: admin() });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: created.body.id, amount: 5000 });
  });

  it('POST /v1/orders/{id}/payment-intents', async () => {
    const orderId = newId('ord');
    const created = await api(app, 'POST', `/v1/orders/${orderId}/payment-intents`, { key: admin(), body: { amount: 2000, currency: 'usd' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const got = await api(app, 'GET', `/v1/orders/${orderId}`, { key: admin() });
    expect(got.status).toBe(200);
    expect(got.body.attempts.map((a: { payment_intent_id: string }) => a.payment_intent_id)).toContain(created.body.id);
  });

  it('POST /v1/invoices', async () => {
    const created = await api(app, 'POST', '/v1/invoices', { key: admin(), body: { client: { email: 'rac@example.test' }, currency: 'usd', amount: 1500 } });
    expect(created.status).toBe(201);
    expect((await api(app, 'GET', `/v1/invoices/${created.body.id}`, { key: admin() })).status).toBe(200);
  });

  it('POST /v1/checkout-sessions and POST /v1/payment-links', async () => {
    const ref = newId('txn');
    const session = await api(app, 'POST', '/v1/checkout-sessions', { key: admin(), body: { transaction_ref: ref, amount: 1200, currency: 'usd' } });
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    const txn = await api(app, 'GET', `/v1/transactions/${ref}`, { key: admin() });
    expect(txn.status).toBe(200);
    expect(txn.body.checkout_session_ids).toContain(session.body.session_id);
    expect((await api(app, 'GET', `/v1/checkout-sessions/${session.body.session_id}/status`, { key: admin() })).status).toBe(200);

    const linkRef = newId('txn');
    const link = await api(app, 'POST', '/v1/payment-links', { key: admin(), body: { transaction_ref: linkRef, amount: 1200, currency: 'usd' } });
    expect(link.status, JSON.stringify(link.body)).toBe(201);
    const linked = await api(app, 'GET', `/v1/transactions/${linkRef}`, { key: admin() });
    expect(linked.status).toBe(200);
    expect(linked.body.payment_link_url).toBe(link.body.url);
  });
});

describe('request body encoding', () => {
  it('answers 400 invalid_body_encoding for a body that says gzip and is not', async () => {
    const response = await api(app, 'POST', '/v1/credits/grants', {
      key: admin(),
      rawBody: JSON.stringify({ account_id: 'w-gz', amount: 1, currency: 'usd', reason: 'x' }),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_body_encoding');
  });
});

describe('Stripe hanging behind a synchronous call (Temporal up)', () => {
  let hanging: Server;
  const sockets: Socket[] = [];
  let stalled: TestApp;

  beforeAll(async () => {
    hanging = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    stalled = await createTestApp({
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String((hanging.address() as AddressInfo).port),
      STRIPE_API_PROTOCOL: 'http',
      STRIPE_TIMEOUT_MS: '300',
      TEMPORAL_RPC_TIMEOUT_MS: '1000',
      RATE_LIMIT_WRITES_PER_MINUTE: '1000',
    });
    await stalled.startWorker();
  });

  afterAll(async () => {
    await stalled?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => hanging?.close(() => resolve()));
  });

  it('answers 503 stripe_unavailable (direct SDK call) with Retry-After', async () => {
    const response = await api(stalled, 'GET', '/v1/products', { key: stalled.keys.t1Admin });
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('stripe_unavailable');
    expect(response.headers.get('retry-after')).toBe('5');
  });

  it('answers 503 stripe_unavailable or upstream_timeout (workflow update at its deadline), never 500 or temporal_unavailable', async () => {
    const topUp = await api(stalled, 'POST', '/v1/credits/top-ups', { key: stalled.keys.t1Admin, body: { amount: 5000, currency: 'usd' }, headers: { origin: FRONTEND_ORIGIN } });
    expect(topUp.status, JSON.stringify(topUp.body)).toBe(503);
    expect(['stripe_unavailable', 'upstream_timeout']).toContain(topUp.body.code);
    expect(topUp.headers.get('retry-after')).toBe('5');

    const intent = await api(stalled, 'POST', `/v1/orders/${newId('ord')}/payment-intents`, { key: stalled.keys.t1Admin, body: { amount: 2000, currency: 'usd' } });
    expect(intent.status, JSON.stringify(intent.body)).toBe(503);
    expect(['stripe_unavailable', 'upstream_timeout']).toContain(intent.body.code);
    expect(intent.headers.get('retry-after')).toBe('5');
    // Temporal itself is fine.
    await waitFor(async () => ((await api(stalled, 'GET', '/readyz')).status === 200 ? true : undefined), 'readyz');
  });
});
