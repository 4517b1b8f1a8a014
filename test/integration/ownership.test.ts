/**
 * Who sees what (README "Who sees what"): every route an end user (a JWT user who is not an admin) can call, against
 * five callers: the owner, another user of the same tenant, another tenant (a JWT user with the SAME subject in t2,
 * and t2's API key), a JWT admin of the tenant and the tenant's API key. Owners and the back office get 2xx; the other
 * user and the other tenant get 404 (never a hint that the object exists); back-office-only routes answer 403 to end
 * users. Fixtures are made through the API and signed webhooks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertOrder } from '../../src/db/orders/order.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type ApiResponse, type TestApp } from '../helpers/app-context.js';
import { deliverStripeEvent, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';
import { startStripeProxy, type StripeProxy } from '../helpers/stripe-proxy.js';

const JWT_SECRET = 'ownership-test-secret-with-enough-entropy-0123456789';
const CALLERS = ['owner', 'other', 'otherTenant', 'otherTenantKey', 'admin', 'apiKey'] as const;
type Caller = (typeof CALLERS)[number];

let app: TestApp;
let proxy: StripeProxy;
let as: Record<Caller, string>;
/** user-b: the other end user of t1. */
let userB: string;

const jwt = (tenant: string, sub: string, role = 'member') =>
  new SignJWT({ tenant_id: tenant, role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('10m').sign(new TextEncoder().encode(JWT_SECRET));

/** The documented internal id of an end user's order: u.<16 hex of sha256(tenant NUL user)>.<their id>. */
const internalOrderId = (tenant: string, user: string, id: string) =>
  `u.${createHash('sha256').update(`${tenant}\u0000${user}`).digest('hex').slice(0, 16)}.${id}`;

/** stripe-mock hands out one fixed id per resource: give created PaymentIntents and sessions their own (per Idempotency-Key, as Stripe would). */
const uniqueId = (prefix: string, key: string | undefined) =>
  `${prefix}_${key ? createHash('sha256').update(key).digest('hex').slice(0, 24) : randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  proxy = await startStripeProxy();
  proxy.patches.push((call) => {
    if (call.method === 'POST' && call.path === '/v1/payment_intents') {
      const id = uniqueId('pi', call.idempotencyKey);
      return { id, client_secret: `${id}_secret_${randomBytes(4).toString('hex')}`, metadata: { order_id: call.form['metadata[order_id]'] } };
    }
    const retrieved = /^\/v1\/payment_intents\/(pi_[A-Za-z0-9]+)$/.exec(call.path);
    if (call.method === 'GET' && retrieved) return { id: retrieved[1] };
    if (call.method === 'POST' && call.path === '/v1/checkout/sessions') {
      const id = uniqueId('cs_test', call.idempotencyKey);
      return { id, url: `https://checkout.stripe.com/c/pay/${id}` };
    }
    return undefined;
  });
  app = await createTestApp({ ...proxy.env, JWT_SECRET, RATE_LIMIT_WRITES_PER_MINUTE: '100000', STRIPE_PUBLISHABLE_KEY: 'pk_test_ownership' });
  await app.startWorker();
  as = {
    owner: await jwt('t1', 'user-a'),
    other: await jwt('t1', 'user-b'),
    // Same subject, other tenant: tenants are separate worlds even for a colliding user id.
    otherTenant: await jwt('t2', 'user-a'),
    otherTenantKey: app.keys.t2Admin,
    admin: await jwt('t1', 'admin-1', 'admin'),
    apiKey: app.keys.t1Admin,
  };
  userB = as.other;
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
});

type Expected = Record<Caller, number>;
const OWNED: Expected = { owner: 200, other: 404, otherTenant: 404, otherTenantKey: 404, admin: 200, apiKey: 200 };
const BACK_OFFICE_ONLY: Expected = { owner: 403, other: 403, otherTenant: 403, otherTenantKey: 404, admin: 200, apiKey: 200 };

/** Calls the route as every caller (in CALLERS order) and compares the whole status table at once. */
async function matrix(
  call: (caller: Caller) => Promise<ApiResponse>,
  expected: Expected,
  callers: readonly Caller[] = CALLERS,
): Promise<Partial<Record<Caller, ApiResponse>>> {
  const responses: Partial<Record<Caller, ApiResponse>> = {};
  const statuses: Partial<Record<Caller, number>> = {};
  for (const caller of callers) {
    responses[caller] = await call(caller);
    statuses[caller] = responses[caller].status;
  }
  expect(statuses).toEqual(Object.fromEntries(callers.map((caller) => [caller, expected[caller]])));
  return responses;
}

function paymentSucceeded(intent: { id: string; orderId: string; amount: number }) {
  return stripeEvent('payment_intent.succeeded', {
    ...stripeFixture('payment_intent'),
    id: intent.id,
    amount: intent.amount,
    amount_received: intent.amount,
    currency: 'usd',
    status: 'succeeded',
    last_payment_error: null,
    metadata: { purpose: 'order', tenant_id: 't1', order_id: intent.orderId, attempt: '1' },
  });
}

describe('orders: end users see only their own; ids are unique per owner', () => {
  const clientId = `ord-${randomBytes(5).toString('hex')}`;
  const internalA = internalOrderId('t1', 'user-a', clientId);
  let intentA: ApiResponse;

  it('creates the owner order in their namespace; nobody else can reach its PaymentIntent', async () => {
    intentA = await api(app, 'POST', `/v1/orders/${clientId}/payment-intents`, { key: as.owner, body: { amount: 2500, currency: 'usd' } });
    expect(intentA.status).toBe(201);
    expect(intentA.body).toMatchObject({ order_id: clientId, attempt: 1, amount: 2500 });
    expect(intentA.body.client_secret).toMatch(/^pi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+$/);
    // Stored (and run) under the internal id; the owner is recorded.
    const row = await app.db.withTables<{ orders: { tenant_id: string; id: string; customer_id: string | null } }>()
      .selectFrom('orders').select(['id', 'customer_id']).where('tenant_id', '=', 't1').where('id', '=', internalA).executeTakeFirst();
    expect(row).toEqual({ id: internalA, customer_id: 'user-a' });
    expect(internalA.length).toBeLessThanOrEqual(83);

    // Creating (or re-reading) the PaymentIntent of A's order: back office by internal id, never another user.
    const responses = await matrix(
      (caller) =>
        api(app, 'POST', `/v1/orders/${caller === 'owner' ? clientId : internalA}/payment-intents`, {
          key: as[caller],
          body: { amount: 2500, currency: 'usd' },
        }),
      { owner: 201, other: 404, otherTenant: 404, otherTenantKey: 404, admin: 201, apiKey: 201 },
    );
    for (const caller of ['other', 'otherTenant', 'otherTenantKey'] as const) {
      expect(JSON.stringify(responses[caller]!.body)).not.toContain(intentA.body.client_secret);
      expect(JSON.stringify(responses[caller]!.body)).not.toContain(intentA.body.id);
    }
    expect(responses.owner!.body).toEqual(intentA.body);
    expect(responses.admin!.body).toMatchObject({ id: intentA.body.id, order_id: internalA });
    expect(responses.apiKey!.body).toMatchObject({ id: intentA.body.id, order_id: internalA });
  });

  it('another user choosing the same id gets their OWN order, not A’s (no squatting)', async () => {
    const intentB = await api(app, 'POST', `/v1/orders/${clientId}/payment-intents`, { key: userB, body: { amount: 4000, currency: 'usd' } });
    expect(intentB.status).toBe(201);
    expect(intentB.body.order_id).toBe(clientId);
    expect(intentB.body.id).not.toBe(intentA.body.id);
    expect(intentB.body.client_secret).not.toBe(intentA.body.client_secret);
    // Stripe's metadata carries the internal id, so B's payment events route to B's order.
    const created = proxy.calls.filter((call) => call.method === 'POST' && call.path === '/v1/payment_intents').map((call) => call.form['metadata[order_id]']);
    expect(created).toEqual(expect.arrayContaining([internalA, internalOrderId('t1', 'user-b', clientId)]));
    const internalB = internalOrderId('t1', 'user-b', clientId);
    const b = await api(app, 'GET', `/v1/orders/${internalB}`, { key: as.apiKey });
    expect(b.body).toMatchObject({ id: internalB, owner_id: 'user-b', amount: 4000 });
    expect(b.body.attempts.map((attempt: { payment_intent_id: string }) => attempt.payment_intent_id)).toEqual([intentB.body.id]);
    // A's order is untouched: its amount, its one attempt.
    const a = await api(app, 'GET', `/v1/orders/${clientId}`, { key: as.owner });
    expect(a.body).toMatchObject({ id: clientId, amount: 2500 });
    expect(a.body.attempts).toHaveLength(1);
    expect(a.body.attempts[0].payment_intent_id).toBe(intentA.body.id);
    // The tenant's own namespace (API keys) is a third one: the plain id is free there.
    expect((await api(app, 'GET', `/v1/orders/${clientId}`, { key: as.apiKey })).status).toBe(404);
    // And the other tenant's user with the same subject has their own namespace too.
    const t2 = await api(app, 'POST', `/v1/orders/${clientId}/payment-intents`, { key: as.otherTenant, body: { amount: 1000, currency: 'usd' } });
    expect(t2.status).toBe(201);
    expect(t2.body.order_id).toBe(clientId);
    expect((await api(app, 'GET', `/v1/orders/${internalOrderId('t2', 'user-a', clientId)}`, { key: as.otherTenantKey })).body.owner_id).toBe('user-a');
  });

  it('the back office cannot open an order inside an end user’s namespace', async () => {
    const unknown = internalOrderId('t1', 'user-a', 'never-created');
    expect((await api(app, 'POST', `/v1/orders/${unknown}/payment-intents`, { key: as.apiKey, body: { amount: 1000, currency: 'usd' } })).status).toBe(404);
  });

  it('webhooks route by the internal id; GET and confirm answer the owner and the back office only', async () => {
    const delivered = await deliverStripeEvent(app, paymentSucceeded({ id: intentA.body.id, orderId: internalA, amount: 2500 }));
    expect(delivered.body).toMatchObject({ status: 'routed', workflowId: `order:t1:${internalA}` });
    await waitFor(async () => ((await api(app, 'GET', `/v1/orders/${clientId}`, { key: as.owner })).body.status === 'paid' ? true : undefined), 'A paid');

    const path = (caller: Caller, suffix = '') => `/v1/orders/${caller === 'owner' ? clientId : internalA}${suffix}`;
    const reads = await matrix((caller) => api(app, 'GET', path(caller), { key: as[caller] }), OWNED);
    expect(reads.owner!.body).toMatchObject({ id: clientId, status: 'paid', payment_id: intentA.body.id });
    expect(reads.owner!.body).not.toHaveProperty('owner_id');
    expect(reads.admin!.body).toMatchObject({ id: internalA, owner_id: 'user-a' });
    expect(reads.apiKey!.body).toMatchObject({ id: internalA, owner_id: 'user-a' });
    // The other users by the client id too: B's namespace has no paid order of A's.
    expect((await api(app, 'GET', `/v1/orders/${clientId}`, { key: userB })).body.amount).toBe(4000);

    const confirms = await matrix((caller) => api(app, 'POST', path(caller, '/confirm'), { key: as[caller] }), OWNED);
    expect(confirms.owner!.body).toMatchObject({ id: clientId, status: 'paid' });
    expect(confirms.apiKey!.body).toMatchObject({ id: internalA, status: 'paid' });
  });

  it('refunds are back office only: end users get 403, the other tenant 404', async () => {
    await matrix(
      (caller) =>
        api(app, 'POST', `/v1/payments/${intentA.body.id}/refunds`, {
          key: as[caller],
          body: { amount: 100, reason: 'requested_by_customer' },
          headers: { 'idempotency-key': `refund-${caller}` },
        }),
      { ...BACK_OFFICE_ONLY, admin: 201, apiKey: 201 },
    );
    const refunded = await api(app, 'GET', `/v1/orders/${clientId}`, { key: as.owner });
    expect(refunded.body.refunds.map((refund: { order_id: string }) => refund.order_id)).toEqual([clientId, clientId]);
  });

  it('an order an end user created before ids were namespaced stays theirs, and only theirs', async () => {
    await upsertOrder(app.db, { tenantId: 't1', id: 'legacy-order-1', customerId: 'user-a', amount: 1500, currency: 'usd' });
    expect((await api(app, 'GET', '/v1/orders/legacy-order-1', { key: as.owner })).body).toMatchObject({ id: 'legacy-order-1', amount: 1500 });
    expect((await api(app, 'GET', '/v1/orders/legacy-order-1', { key: userB })).status).toBe(404);
    expect((await api(app, 'GET', '/v1/orders/legacy-order-1', { key: as.otherTenant })).status).toBe(404);
    expect((await api(app, 'GET', '/v1/orders/legacy-order-1', { key: as.apiKey })).body.owner_id).toBe('user-a');
  });
});

describe('credits: wallets and top-ups', () => {
  it('top-ups: created for one’s own wallet, read by the owner and the back office only', async () => {
    const created = await api(app, 'POST', '/v1/credits/top-ups', {
      key: as.owner,
      body: { amount: 1000, currency: 'usd' },
      headers: { origin: FRONTEND_ORIGIN, 'idempotency-key': 'shared-key-1' },
    });
    expect(created.status).toBe(201);
    const reads = await matrix((caller) => api(app, 'GET', `/v1/credits/top-ups/${created.body.id}`, { key: as[caller] }), OWNED);
    expect(reads.owner!.body).toMatchObject({ id: created.body.id, account_id: 'user-a' });

    // Creating one for A's wallet: the owner, the back office; never another user.
    await matrix(
      (caller) =>
        api(app, 'POST', '/v1/credits/top-ups', {
          key: as[caller],
          body: { amount: 1000, currency: 'usd', ...(caller === 'owner' ? {} : { account_id: 'user-a' }) },
          headers: { origin: FRONTEND_ORIGIN },
        }),
      { owner: 201, other: 404, otherTenant: 201, otherTenantKey: 201, admin: 201, apiKey: 201 },
    );

    // Idempotency keys are per user: B reusing A's key (with another request) neither replays A's top-up nor is refused.
    const b = await api(app, 'POST', '/v1/credits/top-ups', {
      key: userB,
      body: { amount: 2000, currency: 'usd' },
      headers: { origin: FRONTEND_ORIGIN, 'idempotency-key': 'shared-key-1' },
    });
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(created.body.id);
    expect(b.body.url).not.toBe(created.body.url);
    expect((await api(app, 'GET', `/v1/credits/top-ups/${b.body.id}`, { key: userB })).body.account_id).toBe('user-b');
  });

  it("balance, ledger and spend: A's wallet for the owner and the back office; 404 for another user", async () => {
    expect(
      (await api(app, 'POST', '/v1/credits/grants', { key: as.apiKey, body: { account_id: 'user-a', amount: 900, currency: 'usd', reason: 'fixture' } })).status,
    ).toBe(201);
    const wallet = (caller: Caller) => (caller === 'owner' ? '' : '?account_id=user-a');
    // The other tenant's "user-a" wallet is a different wallet (tenant, account): it exists and is empty.
    const balances = await matrix((caller) => api(app, 'GET', `/v1/credits/balance${wallet(caller)}`, { key: as[caller] }), {
      ...OWNED,
      otherTenant: 200,
      otherTenantKey: 200,
    });
    expect(balances.owner!.body.balances).toEqual([{ currency: 'usd', balance: 900 }]);
    expect(balances.admin!.body.balances).toEqual([{ currency: 'usd', balance: 900 }]);
    expect(balances.otherTenant!.body.balances).toEqual([]);
    expect(balances.otherTenantKey!.body.balances).toEqual([]);
    const ledgers = await matrix((caller) => api(app, 'GET', `/v1/credits/ledger${wallet(caller)}`, { key: as[caller] }), {
      ...OWNED,
      otherTenant: 200,
      otherTenantKey: 200,
    });
    expect(ledgers.otherTenant!.body.data).toEqual([]);
    await matrix(
      (caller) =>
        api(app, 'POST', '/v1/credits/spend', {
          key: as[caller],
          body: { amount: 10, currency: 'usd', ...(caller === 'owner' ? {} : { account_id: 'user-a' }) },
        }),
      // The other tenant's user-a wallet is empty: 409 insufficient_balance there, never A's money.
      { owner: 201, other: 404, otherTenant: 409, otherTenantKey: 409, admin: 201, apiKey: 201 },
    );
    expect((await api(app, 'GET', '/v1/credits/balance', { key: as.owner })).body.balances).toEqual([{ currency: 'usd', balance: 870 }]);
  });
});

describe('subscriptions: the owner is the subscription’s account_id', () => {
  const PRICE_ID = stripeFixture('price').id as string;
  const subscriptionId = `sub_own_${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    const fixture = stripeFixture('subscription');
    const now = Math.floor(Date.now() / 1000);
    const item = { ...fixture.items.data[0], subscription: subscriptionId, price: { ...stripeFixture('price'), id: PRICE_ID }, current_period_start: now, current_period_end: now + 30 * 86400 };
    await deliverStripeEvent(
      app,
      stripeEvent('customer.subscription.created', {
        ...fixture,
        id: subscriptionId,
        status: 'active',
        cancel_at_period_end: false,
        canceled_at: null,
        ended_at: null,
        customer: 'cus_ownership_a',
        metadata: { tenant_id: 't1', account_id: 'user-a', price_id: PRICE_ID },
        items: { ...fixture.items, data: [item] },
      }),
    );
    await waitFor(async () => ((await api(app, 'GET', `/v1/subscriptions/${subscriptionId}/summary`, { key: as.apiKey })).status === 200 ? true : undefined), 'subscription');
  });

  it('get and summary: owner and back office; 404 for the others', async () => {
    const detail = await matrix((caller) => api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: as[caller] }), OWNED);
    expect(detail.owner!.body).toMatchObject({ id: subscriptionId, account_id: 'user-a' });
    await matrix((caller) => api(app, 'GET', `/v1/subscriptions/${subscriptionId}/summary`, { key: as[caller] }), OWNED);
  });

  it('list: each end user sees their own; asking for another wallet is 404', async () => {
    const ids = (response: ApiResponse) => response.body.data.map((s: { id: string }) => s.id);
    const lists = await matrix((caller) => api(app, 'GET', '/v1/subscriptions', { key: as[caller] }), { ...OWNED, otherTenant: 200, otherTenantKey: 200, other: 200 });
    expect(ids(lists.owner!)).toEqual([subscriptionId]);
    expect(ids(lists.other!)).toEqual([]);
    expect(ids(lists.otherTenant!)).toEqual([]);
    expect(ids(lists.otherTenantKey!)).toEqual([]);
    expect(ids(lists.apiKey!)).toContain(subscriptionId);
    const filtered = await matrix((caller) => api(app, 'GET', '/v1/subscriptions?account_id=user-a', { key: as[caller] }), {
      ...OWNED,
      otherTenant: 200,
      otherTenantKey: 200,
    });
    expect(ids(filtered.admin!)).toEqual([subscriptionId]);
    expect(ids(filtered.otherTenant!)).toEqual([]);
  });

  it("checkout and billing portal for A's wallet: 404 for another user", async () => {
    for (const path of ['/v1/subscriptions/checkout', '/v1/billing-portal']) {
      const body = path === '/v1/billing-portal' ? { account_id: 'user-a' } : { price_id: PRICE_ID, account_id: 'user-a' };
      const response = await api(app, 'POST', path, { key: userB, body, headers: { origin: FRONTEND_ORIGIN } });
      expect(response.status, path).toBe(404);
    }
    const own = await api(app, 'POST', '/v1/subscriptions/checkout', { key: as.owner, body: { price_id: PRICE_ID }, headers: { origin: FRONTEND_ORIGIN } });
    expect(own.status).toBe(201);
  });

  it('cancel: 404 for the others (nothing changes), then the owner and the back office', async () => {
    await matrix((caller) => api(app, 'DELETE', `/v1/subscriptions/${subscriptionId}`, { key: as[caller] }), OWNED, ['other', 'otherTenant', 'otherTenantKey']);
    expect((await api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: as.owner })).body.cancel_at_period_end).toBe(false);
    const canceled = await matrix((caller) => api(app, 'DELETE', `/v1/subscriptions/${subscriptionId}`, { key: as[caller] }), OWNED, ['owner', 'admin', 'apiKey']);
    expect(canceled.owner!.body).toMatchObject({ id: subscriptionId, cancel_at_period_end: true });
  });
});

describe('invoices: end users see the invoices of clients linked to them', () => {
  const created: Record<string, { id: string; client_id: string }> = {};

  beforeAll(async () => {
    const invoice = async (name: string, client: Record<string, string>) => {
      const response = await api(app, 'POST', '/v1/invoices', { key: as.apiKey, body: { client, amount: 5000, currency: 'usd', memo: `memo of ${name}` } });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      created[name] = response.body;
    };
    await invoice('a', { email: 'a@example.com', name: 'A', user_id: 'user-a' });
    await invoice('b', { email: 'b@example.com', user_id: 'user-b' });
    await invoice('unlinked', { email: 'nobody@example.com' });
  });

  it('one invoice: owner and back office; 404 for the others', async () => {
    const reads = await matrix((caller) => api(app, 'GET', `/v1/invoices/${created.a!.id}`, { key: as[caller] }), OWNED);
    expect(reads.owner!.body).toMatchObject({ id: created.a!.id, memo: 'memo of a' });
    expect((await api(app, 'GET', `/v1/invoices/${created.unlinked!.id}`, { key: as.owner })).status).toBe(404);
  });

  it('the list: only linked invoices for end users, all of the tenant’s for the back office', async () => {
    const ids = (response: ApiResponse) => response.body.data.map((invoice: { id: string }) => invoice.id).sort();
    const lists = await matrix((caller) => api(app, 'GET', '/v1/invoices', { key: as[caller] }), { ...OWNED, other: 200, otherTenant: 200, otherTenantKey: 200 });
    expect(ids(lists.owner!)).toEqual([created.a!.id]);
    expect(ids(lists.other!)).toEqual([created.b!.id]);
    expect(ids(lists.otherTenant!)).toEqual([]);
    expect(ids(lists.otherTenantKey!)).toEqual([]);
    const all = [created.a!.id, created.b!.id, created.unlinked!.id].sort();
    expect(ids(lists.admin!)).toEqual(all);
    expect(ids(lists.apiKey!)).toEqual(all);
    // Filtering by another client changes nothing for an end user.
    expect(ids(await api(app, 'GET', `/v1/invoices?client_id=${created.b!.client_id}`, { key: as.owner }))).toEqual([]);
  });

  it('linking is back office: PUT /v1/clients/{id} and client.user_id, which never silently moves a linked client', async () => {
    const clientId = created.unlinked!.client_id;
    await matrix((caller) => api(app, 'PUT', `/v1/clients/${clientId}`, { key: as[caller], body: { user_id: 'user-a' } }), BACK_OFFICE_ONLY);
    expect(ids(await api(app, 'GET', '/v1/invoices', { key: as.owner }))).toEqual([created.a!.id, created.unlinked!.id].sort());
    const unlinked = await api(app, 'PUT', `/v1/clients/${clientId}`, { key: as.apiKey, body: { user_id: null } });
    expect(unlinked.body).toEqual({ id: clientId, email: 'nobody@example.com', name: null, user_id: null });
    expect((await api(app, 'GET', `/v1/invoices/${created.unlinked!.id}`, { key: as.owner })).status).toBe(404);

    const moved = await api(app, 'POST', '/v1/invoices', { key: as.apiKey, body: { client: { email: 'a@example.com', user_id: 'user-b' }, amount: 100, currency: 'usd' } });
    expect(moved.status).toBe(409);
    expect(moved.body.code).toBe('client_user_mismatch');

    function ids(response: ApiResponse) {
      return response.body.data.map((invoice: { id: string }) => invoice.id).sort();
    }
  });

  it('void and payment link stay back office', async () => {
    await matrix((caller) => api(app, 'POST', `/v1/invoices/${created.a!.id}/payment-link`, { key: as[caller] }), { ...BACK_OFFICE_ONLY, admin: 201 });
    await matrix((caller) => api(app, 'POST', `/v1/invoices/${created.b!.id}/void`, { key: as[caller] }), BACK_OFFICE_ONLY);
  });
});

describe('back-office-only routes answer 403 to end users', () => {
  const routes: Array<[string, string, unknown?]> = [
    ['POST', '/v1/payments/pi_123/refunds', { reason: 'other' }],
    ['POST', '/v1/invoices', { amount: 1000, currency: 'usd', client: { email: 'x@example.com' } }],
    ['POST', '/v1/invoices/inv_00000000000000000000000000000000/void'],
    ['POST', '/v1/invoices/inv_00000000000000000000000000000000/payment-link'],
    ['POST', '/v1/invoices/imports', { since: '2026-01-01' }],
    ['GET', '/v1/invoices/imports/imp_00000000000000000000000000000000'],
    ['PUT', '/v1/clients/cli_000000000000000000000000', { user_id: 'user-a' }],
    ['POST', '/v1/recoveries', { transaction_reference: 'r1', amount: 1000, currency: 'usd', customer: { email: 'x@example.com' } }],
    ['GET', '/v1/recoveries'],
    ['GET', '/v1/recoveries/rec_x'],
    ['POST', '/v1/recoveries/rec_x/pause'],
    ['GET', '/v1/admin/recovery-schedule'],
    ['POST', '/v1/checkout-sessions', { transaction_reference: 't1', amount: 1000, currency: 'usd' }],
    ['POST', '/v1/payment-links', { transaction_reference: 't1', amount: 1000, currency: 'usd' }],
    ['GET', '/v1/checkout-sessions/cs_test_1/status'],
    ['GET', '/v1/transactions/t1'],
    ['GET', '/v1/admin/financial-summary'],
    ['GET', '/v1/admin/excess-payments'],
    ['GET', '/v1/admin/payment-pages'],
    ['PUT', '/v1/admin/prices/price_1/credits', { credits_per_cycle: [] }],
    ['POST', '/v1/credits/grants', { account_id: 'user-b', amount: 1, currency: 'usd', reason: 'x' }],
    ['GET', '/v1/connect/stripe/start'],
    ['DELETE', '/v1/connect/stripe'],
  ];

  it.each(routes)('%s %s', async (method, path, body) => {
    for (const caller of ['owner', 'other', 'otherTenant'] as const) {
      const response = await api(app, method, path, { key: as[caller], ...(body === undefined ? {} : { body }) });
      expect(response.status, `${caller}: ${JSON.stringify(response.body)}`).toBe(403);
    }
  });

  it('tenant-wide, user-neutral reads stay open to end users: payments config, Connect status', async () => {
    expect((await api(app, 'GET', '/v1/payments/config', { key: as.owner })).body).toEqual({ publishable_key: 'pk_test_ownership' });
    expect((await api(app, 'GET', '/v1/connect/stripe', { key: as.owner })).status).toBe(200);
  });
});
