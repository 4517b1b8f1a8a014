import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/devstack/ports.js';
import { startTemporalDevServer, type RunningTemporal } from '../../src/devstack/temporal.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';
import { getStack } from '../helpers/stack.js';
import { checkoutSessionEvent, signatureFor } from '../helpers/stripe-events.js';

/** This file runs its own Temporal server so it can stop and restart it (same port, same SQLite file). */
let temporal: RunningTemporal | undefined;
let app: TestApp;
let dir: string;
let port: number;

async function startTemporal(): Promise<RunningTemporal> {
  return startTemporalDevServer({ port, dbFile: path.join(dir, 'temporal.db'), headless: true, executable: getStack().tools.temporal });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'temporal-outage-'));
  port = await findFreePort();
  temporal = await startTemporal();
  app = await createTestApp({ TEMPORAL_ADDRESS: temporal.address, TEMPORAL_RPC_TIMEOUT_MS: '2000' });
  await app.startWorker();
});

afterAll(async () => {
  await app?.close();
  await temporal?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('Temporal outage', () => {
  it('answers 503 while Temporal is down, loses nothing, and credits once Stripe redelivers after the restart', async () => {
    const created = await api(app, 'POST', '/v1/credits/top-ups', {
      key: app.keys.t1Admin,
      body: { amount: 2000, currency: 'usd' },
      headers: { origin: FRONTEND_ORIGIN },
    });
    expect(created.status).toBe(201);
    const event = checkoutSessionEvent('checkout.session.completed', {
      id: created.body.checkout_session_id,
      tenantId: 't1',
      topUpId: created.body.id,
      amountTotal: 2000,
      currency: 'usd',
    });
    const payload = JSON.stringify(event);
    const deliver = () =>
      api(app, 'POST', '/v1/webhooks/stripe', {
        rawBody: payload,
        headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
      });

    await app.stopWorker();
    await temporal!.stop();

    const whileDown = await deliver();
    expect(whileDown.status).toBe(503);
    expect(whileDown.body.code).toBe('temporal_unavailable');
    expect(whileDown.headers.get('retry-after')).toBe('5');
    const readiness = await api(app, 'GET', '/readyz');
    expect(readiness.status).toBe(503);
    expect(readiness.body.checks.postgres).toBe('ok');
    expect(readiness.body.checks.temporal).not.toBe('ok');
    const stillPending = await api(app, 'GET', `/v1/credits/top-ups/${created.body.id}`, { key: app.keys.t1Admin });
    expect(stillPending.body.status).toBe('pending');

    temporal = await startTemporal();
    await app.startWorker();
    const redelivered = await waitFor(async () => {
      const response = await deliver();
      return response.status === 200 ? response : undefined;
    }, 'redelivery to be accepted');
    expect(redelivered.body.status).toBe('routed');

    await waitFor(async () => {
      const topUp = await api(app, 'GET', `/v1/credits/top-ups/${created.body.id}`, { key: app.keys.t1Admin });
      return topUp.body.status === 'credited' ? true : undefined;
    }, 'credit after restart');
    const balance = await api(app, 'GET', '/v1/credits/balance', { key: app.keys.t1Admin });
    expect(balance.body.balances).toEqual([{ currency: 'usd', balance: 2000 }]);
  });
});
