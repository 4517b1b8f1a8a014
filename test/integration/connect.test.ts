import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripeAccountFor } from '../../src/stripe/connected-account.js';
import { api, createTestApp, type TestApp } from '../helpers/app-context.js';
import { signatureFor, stripeEvent } from '../helpers/stripe-events.js';
import { startConnectStandIn, type ConnectStandIn } from '../helpers/stripe-connect-stand-in.js';

const CLIENT_ID = 'ca_TestPlatform123';
const JSON_ACCEPT = { accept: 'application/json' };

let app: TestApp;
let standIn: ConnectStandIn;

beforeAll(async () => {
  // The stand-in must know the secret key before the app exists; both read it from the same test stack env.
  const { getStack } = await import('../helpers/stack.js');
  standIn = await startConnectStandIn({ secretKey: getStack().env.STRIPE_SECRET_KEY!, clientId: CLIENT_ID });
  app = await createTestApp({ STRIPE_CONNECT_CLIENT_ID: CLIENT_ID, STRIPE_CONNECT_BASE_URL: standIn.url });
});

afterAll(async () => {
  await app?.close();
  await standIn?.close();
});

async function tenantRow(id: string) {
  return app.db
    .selectFrom('tenants')
    .select(['stripe_account_id', sql<Date | null>`connected_at`.as('connected_at'), sql<Date | null>`disconnected_at`.as('disconnected_at')])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

/** GET /start as an admin; returns the authorize URL's parameters. */
async function start(key = app.keys.t1Admin) {
  const response = await api(app, 'GET', '/v1/connect/stripe/start', { key });
  expect(response.status).toBe(200);
  const url = new URL(response.body.url);
  return { response, url, state: url.searchParams.get('state')!, redirectUri: url.searchParams.get('redirect_uri')! };
}

/** What the admin's browser does when Stripe redirects it back. */
async function callback(params: Record<string, string>, options: { json?: boolean; key?: string } = {}) {
  const query = new URLSearchParams(params).toString();
  return api(app, 'GET', `/v1/connect/stripe/callback?${query}`, {
    key: options.key,
    headers: options.json === false ? { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } : JSON_ACCEPT,
  });
}

const tokenCalls = () => standIn.requests.filter((request) => request.path === '/oauth/token').length;
const account = () => `acct_${Math.random().toString(36).slice(2, 12)}`;

async function deliver(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  return api(app, 'POST', '/v1/webhooks/stripe', {
    rawBody: payload,
    headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
  });
}

const deauthorizedEvent = (acct: string) =>
  stripeEvent('account.application.deauthorized', { id: CLIENT_ID, object: 'application', name: 'Test platform' }, { account: acct });

describe('Stripe Connect onboarding (Standard OAuth) against a local connect.stripe.com stand-in', () => {
  it('start returns an authorize URL with client_id, a signed state and the redirect URI; admins only', async () => {
    const member = await api(app, 'GET', '/v1/connect/stripe/start', { key: app.keys.t1Member });
    expect(member.status).toBe(403);
    const unauthenticated = await api(app, 'GET', '/v1/connect/stripe/start');
    expect(unauthenticated.status).toBe(401);

    const { response, url, state, redirectUri } = await start();
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(`${url.origin}${url.pathname}`).toBe(`${standIn.url}/oauth/authorize`);
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('scope')).toBe('read_write');
    expect(redirectUri).toBe(`${app.config.PUBLIC_BASE_URL.replace(/\/$/, '')}/v1/connect/stripe/callback`);
    expect(state).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(response.body.expires_at).toBeGreaterThan(Date.now() / 1000 + 500);
  });

  it('callback exchanges the code, stores the account for the tenant, and a reused state changes nothing', async () => {
    const acct = account();
    const { state } = await start();
    const code = standIn.issueCode(acct);
    const before = tokenCalls();

    // The real browser: HTML page with a machine-readable code.
    const page = await callback({ code, state, scope: 'read_write' }, { json: false });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.body).toContain('data-code="connected"');
    expect(page.body).toContain(acct);
    expect(tokenCalls()).toBe(before + 1);
    const tokenRequest = standIn.requests.at(-1)!;
    expect(tokenRequest.authorization).toBe(`Bearer ${app.config.STRIPE_SECRET_KEY}`);
    expect(tokenRequest.params).toMatchObject({ grant_type: 'authorization_code', code });

    const row = await tenantRow('t1');
    expect(row.stripe_account_id).toBe(acct);
    expect(row.connected_at).toBeInstanceOf(Date);
    expect(row.disconnected_at).toBeNull();
    expect((await tenantRow('t2')).stripe_account_id).toBeNull();
    const status = await api(app, 'GET', '/v1/connect/stripe', { key: app.keys.t1Member });
    expect(status.body).toMatchObject({ connected: true, stripe_account_id: acct });
    expect(await stripeAccountFor(app.db, 't1')).toEqual({ stripeAccount: acct });
    expect(await stripeAccountFor(app.db, 't2')).toEqual({});

    // Same state again (even with a fresh, valid code): refused before Stripe is asked; nothing changes.
    const other = account();
    const reused = await callback({ code: standIn.issueCode(other), state });
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe('state_reused');
    expect(tokenCalls()).toBe(before + 1);
    expect((await tenantRow('t1')).stripe_account_id).toBe(acct);

    const reusedPage = await callback({ code: standIn.issueCode(other), state }, { json: false });
    expect(reusedPage.status).toBe(409);
    expect(reusedPage.body).toContain('data-code="state_reused"');
  });

  it('rejects a tampered state, a missing state and a state for another tenant forged into it', async () => {
    const { state } = await start();
    const [version, payload, signature] = state.split('.') as [string, string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = `${version}.${Buffer.from(JSON.stringify({ ...decoded, t: 't2' })).toString('base64url')}.${signature}`;
    const before = { t1: (await tenantRow('t1')).stripe_account_id, t2: (await tenantRow('t2')).stripe_account_id, calls: tokenCalls() };

    for (const bad of [forged, `${state}x`, `${version}.${payload}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`, 'garbage']) {
      const response = await callback({ code: standIn.issueCode(account()), state: bad });
      expect(response.status, bad).toBe(400);
      expect(response.body.code).toBe('invalid_state');
    }
    const missing = await callback({ code: standIn.issueCode(account()) });
    expect(missing.body.code).toBe('invalid_state');
    const page = await callback({ code: 'x', state: forged }, { json: false });
    expect(page.status).toBe(400);
    expect(page.body).toContain('data-code="invalid_state"');

    expect(tokenCalls()).toBe(before.calls);
    expect((await tenantRow('t1')).stripe_account_id).toBe(before.t1);
    expect((await tenantRow('t2')).stripe_account_id).toBe(before.t2);
  });

  it('another tenant cannot use someone else’s state: its credentials are refused, and the state only ever connects its own tenant', async () => {
    const { state } = await start(app.keys.t1Admin);
    const acct = account();
    const before = tokenCalls();
    const stolen = await callback({ code: standIn.issueCode(acct), state }, { key: app.keys.t2Admin });
    expect(stolen.status).toBe(403);
    expect(stolen.body.code).toBe('invalid_state');
    expect(tokenCalls()).toBe(before);
    expect((await tenantRow('t2')).stripe_account_id).toBeNull();
    // The same user's own key is fine; and the state was not burned by the refused attempt.
    const own = await callback({ code: standIn.issueCode(acct), state }, { key: app.keys.t1Admin });
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ code: 'connected', connected: true, tenant_id: 't1', stripe_account_id: acct });
    expect((await tenantRow('t1')).stripe_account_id).toBe(acct);
    expect((await tenantRow('t2')).stripe_account_id).toBeNull();

    // t2 connecting the account t1 already owns is refused.
    const t2 = await start(app.keys.t2Admin);
    const taken = await callback({ code: standIn.issueCode(acct), state: t2.state });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('account_already_connected');
    expect((await tenantRow('t2')).stripe_account_id).toBeNull();
  });

  it('an expired state (per the database) is refused without calling Stripe', async () => {
    const { state } = await start();
    await sql`update connect_oauth_states set expires_at = now() - interval '1 second' where used_at is null`.execute(app.db);
    const before = { account: (await tenantRow('t1')).stripe_account_id, calls: tokenCalls() };
    const response = await callback({ code: standIn.issueCode(account()), state });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('state_expired');
    expect(tokenCalls()).toBe(before.calls);
    expect((await tenantRow('t1')).stripe_account_id).toBe(before.account);
  });

  it('error=access_denied gives a clear error, stores nothing, and burns the state', async () => {
    const { state } = await start();
    const before = { account: (await tenantRow('t1')).stripe_account_id, calls: tokenCalls() };
    const denied = await callback({ error: 'access_denied', error_description: 'The user denied your request', state });
    expect(denied.status).toBe(400);
    expect(denied.body).toMatchObject({ code: 'access_denied' });
    expect(denied.body.detail).toMatch(/declined/);
    const page = await callback({ error: 'access_denied', state }, { json: false });
    expect(page.body).toContain('data-code="access_denied"');
    expect(page.body).toContain('Connection declined');

    const later = await callback({ code: standIn.issueCode(account()), state });
    expect(later.body.code).toBe('state_reused');
    expect(tokenCalls()).toBe(before.calls);
    expect((await tenantRow('t1')).stripe_account_id).toBe(before.account);
  });

  it('a state issued for another redirect URI is refused (redirect_mismatch)', async () => {
    const { state } = await start();
    await sql`update connect_oauth_states set redirect_uri = 'https://evil.example/cb' where used_at is null`.execute(app.db);
    const before = { account: (await tenantRow('t1')).stripe_account_id, calls: tokenCalls() };
    const response = await callback({ code: standIn.issueCode(account()), state });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('redirect_mismatch');
    expect(tokenCalls()).toBe(before.calls);
    expect((await tenantRow('t1')).stripe_account_id).toBe(before.account);
  });

  it('a code Stripe refuses (invalid_grant) gives oauth_exchange_failed and stores nothing', async () => {
    const { state } = await start();
    const before = (await tenantRow('t1')).stripe_account_id;
    const response = await callback({ code: 'ac_not_issued', state });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('oauth_exchange_failed');
    expect(response.body.detail).toMatch(/Authorization code does not exist/);
    expect((await tenantRow('t1')).stripe_account_id).toBe(before);
  });

  it('DELETE disconnects: deauthorizes at Stripe and clears the tenant; admins only', async () => {
    const acct = account();
    const { state } = await start();
    expect((await callback({ code: standIn.issueCode(acct), state })).status).toBe(200);

    expect((await api(app, 'DELETE', '/v1/connect/stripe', { key: app.keys.t1Member })).status).toBe(403);
    const response = await api(app, 'DELETE', '/v1/connect/stripe', { key: app.keys.t1Admin });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ connected: false, stripe_account_id: null });
    const deauthorize = standIn.requests.filter((request) => request.path === '/oauth/deauthorize').at(-1)!;
    expect(deauthorize.params).toEqual({ client_id: CLIENT_ID, stripe_user_id: acct });
    expect(deauthorize.authorization).toBe(`Bearer ${app.config.STRIPE_SECRET_KEY}`);
    const row = await tenantRow('t1');
    expect(row.stripe_account_id).toBeNull();
    expect(row.disconnected_at).toBeInstanceOf(Date);
    expect(await stripeAccountFor(app.db, 't1')).toEqual({});

    const again = await api(app, 'DELETE', '/v1/connect/stripe', { key: app.keys.t1Admin });
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('not_connected');

    // Stripe's echo of our own deauthorization: the account is no longer anyone's, acknowledged and ignored.
    const echo = await deliver(deauthorizedEvent(acct));
    expect(echo.status).toBe(200);
    expect(echo.body).toMatchObject({ received: true, status: 'ignored', reason: 'unknown connected account' });

    const history = await sql<{ action: string; source: string }>`
      select action, source from connect_history where stripe_account_id = ${acct} order by id`.execute(app.db);
    expect(history.rows).toEqual([
      { action: 'connected', source: 'oauth_callback' },
      { action: 'disconnected', source: 'api' },
    ]);
  });

  it('the signed account.application.deauthorized webhook disconnects the owning tenant; unknown accounts are acknowledged', async () => {
    const acct = account();
    const { state } = await start(app.keys.t2Admin);
    expect((await callback({ code: standIn.issueCode(acct), state })).status).toBe(200);
    expect((await tenantRow('t2')).stripe_account_id).toBe(acct);
    const t1Before = (await tenantRow('t1')).stripe_account_id;

    const event = deauthorizedEvent(acct);
    const response = await deliver(event);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ received: true, status: 'ignored', reason: `tenant t2 disconnected from ${acct}` });
    const row = await tenantRow('t2');
    expect(row.stripe_account_id).toBeNull();
    expect(row.disconnected_at).toBeInstanceOf(Date);
    expect((await tenantRow('t1')).stripe_account_id).toBe(t1Before);

    const redelivered = await deliver(event);
    expect(redelivered.status).toBe(200);
    expect(redelivered.body.status).toBe('ignored');

    const unknown = await deliver(deauthorizedEvent('acct_nobodys0000'));
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ status: 'ignored', reason: 'unknown connected account' });

    const unsigned = await api(app, 'POST', '/v1/webhooks/stripe', { rawBody: JSON.stringify(deauthorizedEvent(acct)), headers: { 'stripe-signature': 't=1,v1=bad' } });
    expect(unsigned.status).toBe(400);
  });
});

describe('Stripe Connect not configured', () => {
  let bare: TestApp;
  beforeAll(async () => {
    bare = await createTestApp();
  });
  afterAll(async () => {
    await bare?.close();
  });

  it('answers 503 naming STRIPE_CONNECT_CLIENT_ID, as JSON and as a page, not a stack trace', async () => {
    expect(bare.config.STRIPE_CONNECT_CLIENT_ID).toBeUndefined();
    const startResponse = await api(bare, 'GET', '/v1/connect/stripe/start', { key: bare.keys.t1Admin });
    expect(startResponse.status).toBe(503);
    expect(startResponse.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(startResponse.body).toMatchObject({ code: 'connect_not_configured', missing: ['STRIPE_CONNECT_CLIENT_ID'] });
    expect(startResponse.body.detail).toContain('STRIPE_CONNECT_CLIENT_ID');

    const page = await api(bare, 'GET', '/v1/connect/stripe/callback?code=ac_x&state=v1.a.b');
    expect(page.status).toBe(503);
    expect(page.body).toContain('data-code="connect_not_configured"');
    expect(page.body).toContain('STRIPE_CONNECT_CLIENT_ID');
    expect(page.body).not.toMatch(/at .*\.ts:\d+/);

    const del = await api(bare, 'DELETE', '/v1/connect/stripe', { key: bare.keys.t1Admin });
    expect(del.status).toBe(503);
    expect(del.body.code).toBe('connect_not_configured');
  });
});
