import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { topUpWorkflowId } from '../../src/temporal/workflow-ids.js';
import { topUpStateQuery } from '../../workflows/top-up/messages.js';
import { api, createTestApp, FRONTEND_ORIGIN, useTestApp, waitFor, type TestApp } from '../helpers/app-context.js';
import { checkoutSessionEvent, signatureFor, stripeEvent } from '../helpers/stripe-events.js';

let app: TestApp;
useTestApp((started) => (app = started));

async function createTopUp(amount: number, currency: string, key = app.keys.t1Admin, idempotencyKey?: string) {
  return api(app, 'POST', '/v1/credits/top-ups', {
    key,
    body: { amount, currency },
    headers: { origin: FRONTEND_ORIGIN, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
  });
}

async function deliver(event: Record<string, unknown>, options: { secret?: string; timestamp?: number; signature?: string } = {}) {
  const payload = JSON.stringify(event);
  const signature = options.signature ?? signatureFor(payload, options.secret ?? app.config.STRIPE_WEBHOOK_SECRET[0]!, options.timestamp);
  return api(app, 'POST', '/v1/webhooks/stripe', { rawBody: payload, headers: { 'stripe-signature': signature } });
}

async function balance(key = app.keys.t1Admin): Promise<Record<string, number>> {
  const response = await api(app, 'GET', '/v1/credits/balance', { key });
  expect(response.status).toBe(200);
  return Object.fromEntries(response.body.balances.map((row: { currency: string; balance: number }) => [row.currency, row.balance]));
}

async function topUpStatus(id: string, key = app.keys.t1Admin): Promise<string> {
  const response = await api(app, 'GET', `/v1/credits/top-ups/${id}`, { key });
  return response.body.status;
}

async function waitForWorkflowClose(workflowId: string): Promise<void> {
  await waitFor(async () => {
    const description = await app.temporal.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING' ? undefined : true;
  }, `${workflowId} to close`);
}

describe('credit top-ups end to end (real Temporal, PostgreSQL, stripe-mock)', () => {
  it('creates a Checkout Session through the workflow, then credits Stripe amount_total exactly once', async () => {
    const created = await createTopUp(1500, 'usd', app.keys.t1Admin, 'order-42');
    expect(created.status).toBe(201);
    expect(created.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    expect(created.body.id).toMatch(/^tu_[0-9a-f]{32}$/);
    expect(await topUpStatus(created.body.id)).toBe('pending');

    const again = await createTopUp(1500, 'usd', app.keys.t1Admin, 'order-42');
    expect(again.status).toBe(201);
    expect(again.body).toEqual(created.body);

    const session = { id: created.body.checkout_session_id, tenantId: 't1', topUpId: created.body.id, amountTotal: 1500, currency: 'usd' };
    const completed = checkoutSessionEvent('checkout.session.completed', session);
    for (let i = 0; i < 5; i++) {
      const response = await deliver(completed);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ received: true, status: 'routed', workflowId: topUpWorkflowId('t1', created.body.id) });
    }
    const secondEventSameSession = await deliver(checkoutSessionEvent('checkout.session.async_payment_succeeded', session));
    expect(secondEventSameSession.status).toBe(200);

    await waitFor(async () => ((await topUpStatus(created.body.id)) === 'credited' ? true : undefined), 'top-up to be credited');
    const workflowId = topUpWorkflowId('t1', created.body.id);
    await waitForWorkflowClose(workflowId);
    // A redelivery after the workflow closed starts a fresh run; the ledger's unique key still refuses a second credit.
    expect((await deliver(completed)).status).toBe(200);
    await waitForWorkflowClose(workflowId);

    expect(await balance()).toEqual({ usd: 1500 });
    const ledger = await api(app, 'GET', '/v1/credits/ledger', { key: app.keys.t1Admin });
    expect(ledger.body.data).toHaveLength(1);
    expect(ledger.body.data[0]).toMatchObject({ kind: 'top_up', amount: 1500, balance_after: 1500, currency: 'usd' });

    const handle = app.temporal.workflow.getHandle(workflowId);
    const state = await handle.query(topUpStateQuery);
    expect(state.status).toBe('credited');
    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({ TenantId: ['t1'], Status: ['credited'], CustomerId: ['default'] });

    if (process.env.RECORD_HISTORIES) {
      const firstRun = await app.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` });
      for await (const run of firstRun) {
        const history = await app.temporal.workflow.getHandle(workflowId, run.runId).fetchHistory();
        const startedByRequest = history.events?.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
        const name = startedByRequest ? 'topup-credited.json' : 'topup-redelivered-after-close.json';
        writeFileSync(path.join(PROJECT_ROOT, 'test', 'histories', name), historyToJSON(history));
      }
    }
  });

  it('credits the amount Stripe reports, not the amount the client asked for, in zero-decimal JPY', async () => {
    const created = await createTopUp(500, 'jpy');
    expect(created.status).toBe(201);
    const response = await deliver(
      checkoutSessionEvent('checkout.session.completed', {
        id: created.body.checkout_session_id,
        tenantId: 't1',
        topUpId: created.body.id,
        amountTotal: 480,
        currency: 'jpy',
      }),
    );
    expect(response.status).toBe(200);
    await waitFor(async () => ((await topUpStatus(created.body.id)) === 'credited' ? true : undefined), 'JPY top-up credited');
    expect((await balance()).jpy).toBe(480);
  });

  it('records an expired session and credits nothing', async () => {
    const created = await createTopUp(2500, 'eur');
    const event = checkoutSessionEvent('checkout.session.expired', {
      id: created.body.checkout_session_id,
      tenantId: 't1',
      topUpId: created.body.id,
      amountTotal: 2500,
      currency: 'eur',
    });
    expect((await deliver(event)).status).toBe(200);
    await waitFor(async () => ((await topUpStatus(created.body.id)) === 'expired' ? true : undefined), 'top-up expired');
    expect((await balance()).eur).toBeUndefined();
  });

  it('rejects bad, stale, tampered and missing signatures with 400, recording and signalling nothing', async () => {
    const created = await createTopUp(700, 'gbp');
    const workflowId = topUpWorkflowId('t1', created.body.id);
    const historyBefore = (await app.temporal.workflow.getHandle(workflowId).fetchHistory()).events?.length;
    const event = checkoutSessionEvent('checkout.session.completed', {
      id: created.body.checkout_session_id,
      tenantId: 't1',
      topUpId: created.body.id,
      amountTotal: 700,
      currency: 'gbp',
    });
    const payload = JSON.stringify(event);

    const wrongSecret = await deliver(event, { secret: 'whsec_not_the_configured_one' });
    const stale = await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const tampered = await api(app, 'POST', '/v1/webhooks/stripe', {
      rawBody: payload.replace('"amount_total":700', '"amount_total":700000'),
      headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
    });
    const missing = await api(app, 'POST', '/v1/webhooks/stripe', { rawBody: payload });

    for (const response of [wrongSecret, stale, tampered]) {
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(response.body.code).toBe('invalid_signature');
    }
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('missing_signature');

    expect((await app.temporal.workflow.getHandle(workflowId).fetchHistory()).events?.length).toBe(historyBefore);
    expect(await topUpStatus(created.body.id)).toBe('pending');
    expect((await balance()).gbp).toBeUndefined();
    await app.temporal.workflow.getHandle(workflowId).terminate('test cleanup');
  });

  it('accepts events signed with any configured secret (rotation)', async () => {
    const rotated = await createTestApp({ STRIPE_WEBHOOK_SECRET: 'whsec_old_secret_value,whsec_new_secret_value' });
    try {
      const event = stripeEvent('customer.created', { id: 'cus_123', object: 'customer' });
      const payload = JSON.stringify(event);
      for (const secret of ['whsec_old_secret_value', 'whsec_new_secret_value']) {
        const response = await api(rotated, 'POST', '/v1/webhooks/stripe', {
          rawBody: payload,
          headers: { 'stripe-signature': signatureFor(payload, secret) },
        });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ received: true, status: 'ignored' });
      }
    } finally {
      await rotated.close();
    }
  });

  it('acknowledges unknown event types, and parks events from unknown connected accounts without routing them', async () => {
    const unknownType = await deliver(stripeEvent('balance.available', { object: 'balance' }));
    expect(unknownType.status).toBe(200);
    expect(unknownType.body).toMatchObject({ status: 'ignored', reason: 'no handler for balance.available' });

    const fromUnknownAccount = await deliver(
      checkoutSessionEvent(
        'checkout.session.completed',
        { id: 'cs_test_unknown', tenantId: 't1', topUpId: 'tu_00000000000000000000000000000000', amountTotal: 100, currency: 'usd' },
        { account: 'acct_unknown' },
      ),
    );
    expect(fromUnknownAccount.status).toBe(200);
    expect(fromUnknownAccount.body).toMatchObject({ status: 'parked', workflowId: 'parked-events:acct_unknown' });
    await expect(app.temporal.workflow.getHandle(topUpWorkflowId('t1', 'tu_00000000000000000000000000000000')).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });

  it('routes events from a connected account to the tenant that owns it', async () => {
    await app.db.updateTable('tenants').set({ stripe_account_id: 'acct_t2connected' }).where('id', '=', 't2').execute();
    const created = await createTopUp(900, 'usd', app.keys.t2Admin);
    const session = { id: created.body.checkout_session_id, tenantId: 't2', topUpId: created.body.id, amountTotal: 900, currency: 'usd' };
    const forged = await deliver(checkoutSessionEvent('checkout.session.completed', { ...session, tenantId: 't1' }, { account: 'acct_t2connected' }));
    expect(forged.body).toMatchObject({ status: 'ignored', reason: expect.stringContaining('tenant mismatch') });
    const response = await deliver(checkoutSessionEvent('checkout.session.completed', session, { account: 'acct_t2connected' }));
    expect(response.body).toMatchObject({ status: 'routed', workflowId: topUpWorkflowId('t2', created.body.id) });
    await waitFor(async () => ((await topUpStatus(created.body.id, app.keys.t2Admin)) === 'credited' ? true : undefined), 't2 credited');
    expect((await balance(app.keys.t2Admin)).usd).toBe(900);
  });
});

describe('credit top-ups when Stripe refuses', () => {
  it('answers 502 stripe_error, not a conflict, when Stripe rejects the Checkout Session (non-retryable 4xx)', async () => {
    // stripe-mock rejects keys that do not look like real test keys with 401, as Stripe does for a revoked key.
    const refused = await createTestApp({ STRIPE_SECRET_KEY: 'sk_test_not_a_valid_looking_key' });
    try {
      await refused.startWorker();
      const response = await api(refused, 'POST', '/v1/credits/top-ups', {
        key: refused.keys.t1Admin,
        body: { amount: 1000, currency: 'usd' },
        headers: { origin: FRONTEND_ORIGIN },
      });
      expect(response.status).toBe(502);
      expect(response.body.code).toBe('stripe_error');
    } finally {
      await refused.close();
    }
  });
});
