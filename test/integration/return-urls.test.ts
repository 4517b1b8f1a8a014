import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutReturnUrls } from '../../src/gateway/origin.js';
import { api, createTestApp, FRONTEND_ORIGIN, type TestApp } from '../helpers/app-context.js';
import { startConnectStandIn, type ConnectStandIn } from '../helpers/stripe-connect-stand-in.js';
import { startStripeProxy, type StripeProxy } from '../helpers/stripe-proxy.js';
import { PRICE_ID } from '../helpers/subscription-objects.js';

/**
 * Return URLs of subscription Checkout, the Customer Portal and the Connect callback, against the real gateway,
 * worker, PostgreSQL and stripe-mock (through a recording proxy, so the URLs Stripe receives are checked).
 * `configured` has FRONTEND_BASE_URL set; `app` has none.
 */
const PLACEHOLDER = '{CHECKOUT_SESSION_ID}';
const CLIENT_ID = 'ca_ReturnUrlsPlatform1';
const CONFIGURED_FRONTEND = 'https://frontend.example.com';

let proxy: StripeProxy;
let standIn: ConnectStandIn;
let app: TestApp;
let configured: TestApp;

beforeAll(async () => {
  const { getStack } = await import('../helpers/stack.js');
  proxy = await startStripeProxy();
  standIn = await startConnectStandIn({ secretKey: getStack().env.STRIPE_SECRET_KEY!, clientId: CLIENT_ID });
  const connect = { STRIPE_CONNECT_CLIENT_ID: CLIENT_ID, STRIPE_CONNECT_BASE_URL: standIn.url };
  app = await createTestApp({ ...proxy.env, ...connect });
  await app.startWorker();
  configured = await createTestApp({ ...proxy.env, ...connect, FRONTEND_BASE_URL: `${CONFIGURED_FRONTEND}/` });
  await configured.startWorker();
});

afterAll(async () => {
  await app?.close();
  await configured?.close();
  await standIn?.close();
  await proxy?.close();
});

/** The form of the last Stripe call to `path` made after `since` calls. */
function lastCall(path: string, since: number) {
  const call = proxy.calls
    .slice(since)
    .filter((c) => c.method === 'POST' && c.path === path)
    .at(-1);
  expect(call, `a POST ${path}`).toBeDefined();
  return call!.form;
}

async function checkout(target: TestApp, body: Record<string, unknown>, headers: Record<string, string> = {}, key = target.keys.t1Admin) {
  const since = proxy.calls.length;
  const response = await api(target, 'POST', '/v1/subscriptions/checkout', { key, body: { price_id: PRICE_ID, ...body }, headers });
  return { response, form: () => lastCall('/v1/checkout/sessions', since) };
}

async function portal(target: TestApp, body: Record<string, unknown>, headers: Record<string, string> = {}, key = target.keys.t1Admin) {
  const since = proxy.calls.length;
  const response = await api(target, 'POST', '/v1/billing-portal', { key, body, headers });
  return { response, form: () => lastCall('/v1/billing_portal/sessions', since) };
}

describe('subscription checkout and billing portal return URLs', () => {
  it('an API-key caller passes success_url/cancel_url instead of an Origin; they must be on an allowed origin', async () => {
    const noOrigin = await checkout(app, {});
    expect(noOrigin.response.status).toBe(403);
    expect(noOrigin.response.body.code).toBe('origin_required');

    const explicit = await checkout(app, { success_url: `${FRONTEND_ORIGIN}/plans/done?plan=basic#top`, cancel_url: `${FRONTEND_ORIGIN}/plans` });
    expect(explicit.response.status).toBe(201);
    expect(explicit.form()).toMatchObject({
      success_url: `${FRONTEND_ORIGIN}/plans/done?plan=basic&session_id=${PLACEHOLDER}#top`,
      cancel_url: `${FRONTEND_ORIGIN}/plans`,
    });

    const foreign = await checkout(app, { success_url: 'https://evil.example/done', cancel_url: `${FRONTEND_ORIGIN}/plans` });
    expect(foreign.response.status).toBe(403);
    expect(foreign.response.body.code).toBe('return_url_not_allowed');
    const onlyOne = await checkout(app, { success_url: `${FRONTEND_ORIGIN}/done` });
    expect(onlyOne.response.status).toBe(400);
    expect(onlyOne.response.body.errors).toEqual([expect.objectContaining({ field: 'body.cancel_url' })]);
    const notUrl = await checkout(app, { success_url: 'javascript:alert(1)', cancel_url: `${FRONTEND_ORIGIN}/plans` });
    expect(notUrl.response.status).toBe(400);
    // A browser on a foreign origin is refused even with allowed URLs in the body.
    const foreignBrowser = await checkout(app, { success_url: `${FRONTEND_ORIGIN}/a`, cancel_url: `${FRONTEND_ORIGIN}/b` }, { origin: 'https://evil.example' });
    expect(foreignBrowser.response.status).toBe(403);
    expect(foreignBrowser.response.body.code).toBe('origin_not_allowed');

    // The browser path is unchanged: the allowed Origin + the documented paths.
    const browser = await checkout(app, {}, { origin: FRONTEND_ORIGIN });
    expect(browser.response.status).toBe(201);
    expect(browser.form()).toMatchObject({
      success_url: `${FRONTEND_ORIGIN}/subscriptions/success?session_id=${PLACEHOLDER}`,
      cancel_url: `${FRONTEND_ORIGIN}/subscriptions/cancelled`,
    });

    // The OpenAPI document names the new fields.
    const openapi = await api(app, 'GET', '/openapi.json');
    expect(Object.keys(openapi.body.components.schemas.SubscriptionCheckout.properties)).toEqual(expect.arrayContaining(['success_url', 'cancel_url']));
    expect(Object.keys(openapi.body.components.schemas.BillingPortal.properties)).toContain('return_url');
  });

  it('the billing portal takes return_url from an API-key caller, checked against the allow-list', async () => {
    // The wallet's Stripe customer exists after a checkout (previous test).
    expect((await portal(app, {})).response.body.code).toBe('origin_required');
    const explicit = await portal(app, { return_url: `${FRONTEND_ORIGIN}/settings/billing` });
    expect(explicit.response.status).toBe(201);
    expect(explicit.form()).toMatchObject({ return_url: `${FRONTEND_ORIGIN}/settings/billing` });
    const foreign = await portal(app, { return_url: 'https://evil.example/billing' });
    expect(foreign.response.status).toBe(403);
    expect(foreign.response.body.code).toBe('return_url_not_allowed');
    const browser = await portal(app, {}, { origin: FRONTEND_ORIGIN });
    expect(browser.response.status).toBe(201);
    expect(browser.form()).toMatchObject({ return_url: `${FRONTEND_ORIGIN}/account/billing` });
  });

  it('without Origin or URLs, FRONTEND_BASE_URL and then a tenant base URL (PUT /v1/admin/frontend) give the documented paths', async () => {
    const fromConfig = await checkout(configured, {});
    expect(fromConfig.response.status).toBe(201);
    expect(fromConfig.form()).toMatchObject({
      success_url: `${CONFIGURED_FRONTEND}/subscriptions/success?session_id=${PLACEHOLDER}`,
      cancel_url: `${CONFIGURED_FRONTEND}/subscriptions/cancelled`,
    });
    const shown = await api(configured, 'GET', '/v1/admin/frontend', { key: configured.keys.t1Admin });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ source: 'config', base_url: `${CONFIGURED_FRONTEND}/`, updated_at: null });
    expect(shown.body.urls.connect_result).toBe(`${CONFIGURED_FRONTEND}/connect/stripe/result?status=connected`);

    // t1 of the unconfigured app sets its own.
    const member = await api(app, 'PUT', '/v1/admin/frontend', { key: app.keys.t1Member, body: { base_url: 'https://shop.t1.example' } });
    expect(member.status).toBe(403);
    const invalid = await api(app, 'PUT', '/v1/admin/frontend', { key: app.keys.t1Admin, body: { base_url: 'https://shop.t1.example/?x=1' } });
    expect(invalid.status).toBe(400);
    const saved = await api(app, 'PUT', '/v1/admin/frontend', { key: app.keys.t1Admin, body: { base_url: 'https://shop.t1.example/app' } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      source: 'tenant',
      base_url: 'https://shop.t1.example/app',
      paths: {
        top_up_success: '/credits/top-ups/success',
        top_up_cancel: '/credits/top-ups/cancelled',
        subscription_success: '/subscriptions/success',
        subscription_cancel: '/subscriptions/cancelled',
        billing_portal_return: '/account/billing',
        connect_result: '/connect/stripe/result',
      },
      urls: {
        top_up_success: `https://shop.t1.example/app/credits/top-ups/success?top_up_id=%3Ctop_up_id%3E&session_id=${PLACEHOLDER}`,
        billing_portal_return: 'https://shop.t1.example/app/account/billing',
      },
    });
    expect(saved.body.updated_at).toEqual(expect.any(String));

    const fromTenant = await checkout(app, {});
    expect(fromTenant.response.status).toBe(201);
    expect(fromTenant.form()).toMatchObject({
      success_url: `https://shop.t1.example/app/subscriptions/success?session_id=${PLACEHOLDER}`,
      cancel_url: 'https://shop.t1.example/app/subscriptions/cancelled',
    });
    const portalFromTenant = await portal(app, {});
    expect(portalFromTenant.response.status).toBe(201);
    expect(portalFromTenant.form()).toMatchObject({ return_url: 'https://shop.t1.example/app/account/billing' });
    // The tenant's base is also the default of its Checkout payment pages (recovery links, transactions).
    const pages = await api(app, 'GET', '/v1/admin/payment-pages', { key: app.keys.t1Admin });
    expect(pages.body).toMatchObject({ source: 'frontend', success_url: `https://shop.t1.example/app/payments/success?session_id=${PLACEHOLDER}` });

    // Other tenants are unaffected.
    expect((await checkout(app, {}, {}, app.keys.t2Admin)).response.body.code).toBe('origin_required');
    expect((await api(app, 'GET', '/v1/admin/frontend', { key: app.keys.t2Admin })).body).toMatchObject({ source: 'none', base_url: null, urls: null });

    // null removes it.
    const removed = await api(app, 'PUT', '/v1/admin/frontend', { key: app.keys.t1Admin, body: { base_url: null } });
    expect(removed.body).toMatchObject({ source: 'none', base_url: null });
    expect((await checkout(app, {})).response.body.code).toBe('origin_required');
  });

  it('checkoutReturnUrls builds top-up URLs with the top-up id (what the top-up route calls)', async () => {
    const request = (origin?: string) => ({ header: (name: string) => (name.toLowerCase() === 'origin' ? origin : undefined) }) as unknown as Request;
    const deps = { config: app.config, db: app.db };
    const topUp = { kind: 'top_up', topUpId: 'tu_abc' } as const;
    expect(await checkoutReturnUrls(deps, request(FRONTEND_ORIGIN), 't1', {}, topUp)).toEqual({
      successUrl: `${FRONTEND_ORIGIN}/credits/top-ups/success?top_up_id=tu_abc&session_id=${PLACEHOLDER}`,
      cancelUrl: `${FRONTEND_ORIGIN}/credits/top-ups/cancelled?top_up_id=tu_abc`,
    });
    expect(await checkoutReturnUrls(deps, request(), 't1', { success_url: `${FRONTEND_ORIGIN}/ok?x=1`, cancel_url: `${FRONTEND_ORIGIN}/no` }, topUp)).toEqual({
      successUrl: `${FRONTEND_ORIGIN}/ok?x=1&top_up_id=tu_abc&session_id=${PLACEHOLDER}`,
      cancelUrl: `${FRONTEND_ORIGIN}/no?top_up_id=tu_abc`,
    });
    await expect(checkoutReturnUrls(deps, request(), 't1', {}, topUp)).rejects.toMatchObject({ status: 403, code: 'origin_required' });
    const configuredDeps = { config: configured.config, db: configured.db };
    expect((await checkoutReturnUrls(configuredDeps, request(), 't1', {}, topUp)).successUrl).toBe(
      `${CONFIGURED_FRONTEND}/credits/top-ups/success?top_up_id=tu_abc&session_id=${PLACEHOLDER}`,
    );
  });
});

describe('Connect callback back to the app', () => {
  /** The admin's browser: HTML accepted, redirects not followed. */
  async function browserCallback(target: TestApp, params: Record<string, string>) {
    return fetch(`${target.baseUrl}/v1/connect/stripe/callback?${new URLSearchParams(params).toString()}`, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      redirect: 'manual',
    });
  }

  async function start(target: TestApp) {
    const response = await api(target, 'GET', '/v1/connect/stripe/start', { key: target.keys.t1Admin });
    expect(response.status).toBe(200);
    return new URL(response.body.url).searchParams.get('state')!;
  }

  it('redirects the browser to the frontend with ?status=connected or ?status=error&code=...; JSON callers still get JSON', async () => {
    const state = await start(configured);
    const account = `acct_${Math.random().toString(36).slice(2, 12)}`;
    const connected = await browserCallback(configured, { code: standIn.issueCode(account), state });
    expect(connected.status).toBe(303);
    expect(connected.headers.get('location')).toBe(`${CONFIGURED_FRONTEND}/connect/stripe/result?status=connected`);
    expect(connected.headers.get('cache-control')).toBe('no-store');

    const reused = await browserCallback(configured, { code: standIn.issueCode(account), state });
    expect(reused.status).toBe(303);
    expect(reused.headers.get('location')).toBe(`${CONFIGURED_FRONTEND}/connect/stripe/result?status=error&code=state_reused`);
    const tampered = await browserCallback(configured, { code: 'x', state: 'garbage' });
    expect(tampered.headers.get('location')).toBe(`${CONFIGURED_FRONTEND}/connect/stripe/result?status=error&code=invalid_state`);

    const json = await api(configured, 'GET', `/v1/connect/stripe/callback?${new URLSearchParams({ code: 'x', state: 'garbage' }).toString()}`, {
      headers: { accept: 'application/json' },
    });
    expect(json.status).toBe(400);
    expect(json.body.code).toBe('invalid_state');
  });

  it("uses the tenant's base URL once the state is verified, and keeps the HTML page when no frontend is configured", async () => {
    const noFrontend = await browserCallback(app, { code: 'x', state: 'garbage' });
    expect(noFrontend.status).toBe(400);
    expect(await noFrontend.text()).toContain('data-code="invalid_state"');

    await api(app, 'PUT', '/v1/admin/frontend', { key: app.keys.t1Admin, body: { base_url: 'https://shop.t1.example' } });
    const denied = await browserCallback(app, { error: 'access_denied', state: await start(app) });
    expect(denied.status).toBe(303);
    expect(denied.headers.get('location')).toBe('https://shop.t1.example/connect/stripe/result?status=error&code=access_denied');
    // An unverifiable state names no tenant: no redirect to any tenant's app.
    expect((await browserCallback(app, { code: 'x', state: 'garbage' })).status).toBe(400);
    await api(app, 'PUT', '/v1/admin/frontend', { key: app.keys.t1Admin, body: { base_url: null } });
  });
});
