import { createServer } from 'node:net';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant } from '../../src/db/tenants.js';
import { describeCheckoutSession, renderReturnPage } from '../../src/gateway/routes/payment-return/page.js';
import { formatMinorUnits } from '../../src/domain/money.js';
import { returnUrlsFor } from '../../src/payments/return-urls.js';
import { createStripeClient } from '../../src/stripe/client.js';
import { api, createTestApp, type TestApp } from '../helpers/app-context.js';

/**
 * Success/cancel pages with the real gateway, PostgreSQL and stripe-mock. A second app is configured with
 * FRONTEND_BASE_URL and a Stripe port nothing listens on (Stripe unreachable).
 */
let app: TestApp;
let offline: TestApp;

const ITEM = { kind: 'transaction', ref: 'ref-1' };
const PLACEHOLDER = '{CHECKOUT_SESSION_ID}';
const CONNECTED_ACCOUNT = 'acct_1PaymentPagesTest';
const CONFIRMING = 'We are confirming your payment; you can close this page.';
const CANCELLED = 'Payment not completed; you can use the same link again.';

async function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  app = await createTestApp();
  // t1 sells through a connected account, so the page reads the session with Stripe-Account (stripe-mock accepts any).
  await app.db.updateTable('tenants').set({ stripe_account_id: CONNECTED_ACCOUNT }).where('id', '=', 't1').execute();
  offline = await createTestApp({ FRONTEND_BASE_URL: 'https://app.example.com/', STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(await unusedPort()) });
});

afterAll(async () => {
  await app?.close();
  await offline?.close();
});

const page = (target: TestApp, query: string) => fetch(`${target.baseUrl}/pay/return${query}`).then(async (response) => ({ response, html: await response.text() }));

describe('returnUrlsFor', () => {
  it('falls back to the gateway page, then FRONTEND_BASE_URL, and prefers the tenant pages; {CHECKOUT_SESSION_ID} stays literal', async () => {
    await ensureTenant(app.db, { id: 'acme&co/1', name: 'Ampersand tenant' });
    const gateway = await returnUrlsFor(app.db, { publicBaseUrl: 'https://pay.example.com/' }, 'acme&co/1', ITEM);
    expect(gateway).toEqual({
      successUrl: `https://pay.example.com/pay/return?tenant=acme%26co%2F1&session_id=${PLACEHOLDER}`,
      cancelUrl: 'https://pay.example.com/pay/return?tenant=acme%26co%2F1&outcome=cancelled',
    });

    const config = { publicBaseUrl: 'https://pay.example.com', frontendBaseUrl: 'https://app.example.com' };
    expect(await returnUrlsFor(app.db, config, 'acme&co/1', ITEM)).toEqual({
      successUrl: `https://app.example.com/payments/success?session_id=${PLACEHOLDER}`,
      cancelUrl: 'https://app.example.com/payments/cancelled',
    });

    const saved = await api(app, 'PUT', '/v1/admin/payment-pages', {
      key: app.keys.t1Admin,
      body: { success_url: 'https://shop.example.com/thanks?order=42#top', cancel_url: 'https://shop.example.com/cart' },
    });
    expect(saved.status).toBe(200);
    expect(await returnUrlsFor(app.db, config, 't1', ITEM)).toEqual({
      successUrl: `https://shop.example.com/thanks?order=42&session_id=${PLACEHOLDER}#top`,
      cancelUrl: 'https://shop.example.com/cart',
    });
    // Other tenants keep the defaults.
    expect((await returnUrlsFor(app.db, config, 't2', ITEM)).successUrl).toBe(`https://app.example.com/payments/success?session_id=${PLACEHOLDER}`);

    // A URL that already places the placeholder is used as given, braces unescaped.
    await api(app, 'PUT', '/v1/admin/payment-pages', {
      key: app.keys.t1Admin,
      body: { success_url: `https://shop.example.com/done/${PLACEHOLDER}`, cancel_url: 'https://shop.example.com/cart' },
    });
    expect((await returnUrlsFor(app.db, config, 't1', ITEM)).successUrl).toBe(`https://shop.example.com/done/${PLACEHOLDER}`);
    await api(app, 'PUT', '/v1/admin/payment-pages', {
      key: app.keys.t1Admin,
      body: { success_url: 'https://shop.example.com/thanks', cancel_url: 'https://shop.example.com/cart' },
    });
    expect((await returnUrlsFor(app.db, config, 't1', ITEM)).successUrl).toBe(`https://shop.example.com/thanks?session_id=${PLACEHOLDER}`);
  });
});

describe('GET/PUT /v1/admin/payment-pages', () => {
  it('stores the pages for an admin and answers them with source tenant', async () => {
    const body = { success_url: 'https://shop.example.com/paid?x=1', cancel_url: 'http://localhost:5173/cart' };
    const put = await api(app, 'PUT', '/v1/admin/payment-pages', { key: app.keys.t1Admin, body });
    expect(put.status).toBe(200);
    const expected = {
      source: 'tenant',
      ...body,
      effective: { success_url: `https://shop.example.com/paid?x=1&session_id=${PLACEHOLDER}`, cancel_url: 'http://localhost:5173/cart' },
    };
    expect(put.body).toMatchObject(expected);
    const get = await api(app, 'GET', '/v1/admin/payment-pages', { key: app.keys.t1Admin });
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject(expected);
    expect(Date.parse(get.body.updated_at)).not.toBeNaN();
  });

  it('answers the defaults in force until a tenant saves pages (gateway, or frontend when FRONTEND_BASE_URL is set)', async () => {
    const gateway = await api(app, 'GET', '/v1/admin/payment-pages', { key: app.keys.t2Admin });
    expect(gateway.status).toBe(200);
    const base = app.config.PUBLIC_BASE_URL.replace(/\/+$/, '');
    expect(gateway.body).toEqual({
      source: 'gateway',
      success_url: `${base}/pay/return?tenant=t2&session_id=${PLACEHOLDER}`,
      cancel_url: `${base}/pay/return?tenant=t2&outcome=cancelled`,
      updated_at: null,
      effective: { success_url: `${base}/pay/return?tenant=t2&session_id=${PLACEHOLDER}`, cancel_url: `${base}/pay/return?tenant=t2&outcome=cancelled` },
    });
    const frontend = await api(offline, 'GET', '/v1/admin/payment-pages', { key: offline.keys.t1Admin });
    expect(frontend.body).toMatchObject({
      source: 'frontend',
      success_url: `https://app.example.com/payments/success?session_id=${PLACEHOLDER}`,
      cancel_url: 'https://app.example.com/payments/cancelled',
    });
  });

  it('is admin-only and tenant-scoped', async () => {
    const body = { success_url: 'https://member.example.com/ok', cancel_url: 'https://member.example.com/no' };
    expect((await api(app, 'GET', '/v1/admin/payment-pages', { key: app.keys.t1Member })).status).toBe(403);
    expect((await api(app, 'PUT', '/v1/admin/payment-pages', { key: app.keys.t1Member, body })).status).toBe(403);
    expect((await api(app, 'GET', '/v1/admin/payment-pages')).status).toBe(401);

    const t2 = await api(app, 'PUT', '/v1/admin/payment-pages', {
      key: app.keys.t2Admin,
      body: { success_url: 'https://two.example.com/ok', cancel_url: 'https://two.example.com/no' },
    });
    expect(t2.status).toBe(200);
    const t1 = await api(app, 'GET', '/v1/admin/payment-pages', { key: app.keys.t1Admin });
    expect(t1.body.success_url).toBe('https://shop.example.com/paid?x=1');
    expect((await api(app, 'GET', '/v1/admin/payment-pages', { key: app.keys.t2Admin })).body.success_url).toBe('https://two.example.com/ok');
  });

  it('refuses anything but absolute http(s) URLs up to 2000 characters', async () => {
    const ok = 'https://shop.example.com/ok';
    const invalid = [
      { success_url: 'ftp://shop.example.com/ok', cancel_url: ok },
      { success_url: 'javascript:alert(1)', cancel_url: ok },
      { success_url: '/relative/path', cancel_url: ok },
      { success_url: ok, cancel_url: 'not a url' },
      { success_url: `https://shop.example.com/${'a'.repeat(2000)}`, cancel_url: ok },
      { success_url: ok },
      { success_url: ok, cancel_url: ok, extra: true },
    ];
    for (const body of invalid) {
      const response = await api(app, 'PUT', '/v1/admin/payment-pages', { key: app.keys.t1Admin, body });
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(response.body.code).toBe('validation_failed');
    }
    expect((await api(app, 'GET', '/v1/admin/payment-pages', { key: app.keys.t1Admin })).body.success_url).toBe('https://shop.example.com/paid?x=1');
  });
});

describe('GET /pay/return', () => {
  it("shows the Checkout Session's amount and status from Stripe, and nothing personal", async () => {
    // What stripe-mock answers for this id (its fixture session, id substituted), read with the SDK.
    const session: Stripe.Checkout.Session = await createStripeClient(app.config).checkout.sessions.retrieve('cs_test_123', {}, { stripeAccount: CONNECTED_ACCOUNT });
    const { response, html } = await page(app, '?tenant=t1&session_id=cs_test_123');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");

    const expectedStatus =
      session.payment_status === 'paid'
        ? 'Payment received'
        : session.payment_status === 'no_payment_required'
          ? 'No payment required'
          : session.status === 'complete'
            ? 'Payment processing'
            : 'Not paid';
    expect(html).toContain(`<dd id="status">${expectedStatus}</dd>`);
    if (session.amount_total !== null && session.currency) {
      expect(html).toContain(`<dd id="amount">${formatMinorUnits(session.amount_total, session.currency)} ${session.currency.toUpperCase()}</dd>`);
    } else {
      expect(html).not.toContain('id="amount"');
    }

    const personal = [
      session.customer_email,
      session.customer_details?.email,
      session.customer_details?.name,
      session.customer_details?.phone,
      session.collected_information?.shipping_details?.name,
    ].filter((value): value is string => typeof value === 'string' && value.length > 0);
    expect(personal).toContain('example@example.com'); // the fixture does carry personal data
    // Compared with what the customer sees (the fixture's shipping name is literally "name", as in <meta name=...>).
    const visibleText = html.replace(/<style>[\s\S]*?<\/style>/, ' ').replace(/<[^>]*>/g, ' ');
    for (const value of personal) expect(visibleText).not.toContain(value);
    expect(html).not.toContain('example@example.com');
    expect(html).not.toContain('customer');
    expect(html).not.toContain('cs_test_123');
    expect(html).not.toMatch(/<script|<img|<link|https?:\/\//);
  });

  it('answers 200 with a page, never 404, for missing, malformed or foreign input', async () => {
    const confirming = [
      '',
      '?tenant=t1',
      '?session_id=cs_test_123',
      '?tenant=t1&session_id=',
      '?tenant=t1&session_id=pi_123',
      '?tenant=t1&session_id=cs_test_123%3Cscript%3E',
      '?tenant=t1&session_id=cs_..%2F..%2Fv1%2Fcustomers',
      `?tenant=t1&session_id=cs_${'a'.repeat(300)}`,
      '?tenant=t1&session_id=cs_test_123&session_id=cs_test_456',
      '?tenant=no-such-tenant&session_id=cs_test_123',
      '?tenant=%3Cb%3E&session_id=cs_test_123',
    ];
    for (const query of confirming) {
      const { response, html } = await page(app, query);
      expect(response.status, query).toBe(200);
      expect(response.headers.get('content-type'), query).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control'), query).toBe('no-store');
      expect(html, query).toContain(CONFIRMING);
      expect(html, query).not.toContain('<script');
      expect(html, query).not.toContain('<b>');
    }

    for (const query of ['?tenant=t1&outcome=cancelled', '?tenant=nobody&session_id=cs_test_123&outcome=cancelled', '?outcome=cancelled']) {
      const { response, html } = await page(app, query);
      expect(response.status, query).toBe(200);
      expect(html, query).toContain(CANCELLED);
      expect(html, query).not.toContain('id="amount"');
    }
  });

  it('shows the generic page when Stripe is unreachable', async () => {
    const started = Date.now();
    const { response, html } = await page(offline, '?tenant=t1&session_id=cs_test_123');
    expect(response.status).toBe(200);
    expect(html).toContain(CONFIRMING);
    expect(html).not.toContain('id="status"');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('is in the OpenAPI document as a public text/html route, next to the admin routes', async () => {
    const doc = (await api(app, 'GET', '/openapi.json')).body;
    const operation = doc.paths['/pay/return'].get;
    expect(operation.security).toEqual([]);
    expect(Object.keys(operation.responses['200'].content)).toEqual(['text/html']);
    expect(operation.parameters.map((p: any) => p.name).sort()).toEqual(['outcome', 'session_id', 'tenant']);
    expect(Object.keys(doc.paths['/v1/admin/payment-pages']).sort()).toEqual(['get', 'put']);
  });
});

describe('return page rendering', () => {
  const base = { amount_total: 4200, currency: 'usd', payment_status: 'paid', status: 'complete' } as const;

  it('formats minor units with the currency exponent and words the status plainly', () => {
    expect(describeCheckoutSession(base)).toMatchObject({ result: 'paid', title: 'Payment received', amount: '42.00 USD' });
    expect(describeCheckoutSession({ ...base, amount_total: 500, currency: 'jpy' }).amount).toBe('500 JPY');
    expect(describeCheckoutSession({ ...base, amount_total: 5000, currency: 'kwd' }).amount).toBe('5.000 KWD');
    expect(describeCheckoutSession({ ...base, payment_status: 'unpaid' })).toMatchObject({ result: 'processing', title: 'Payment processing' });
    expect(describeCheckoutSession({ ...base, payment_status: 'unpaid', status: 'open' })).toMatchObject({ result: 'unpaid', title: 'Not paid' });
    expect(describeCheckoutSession({ ...base, payment_status: 'unpaid', status: 'expired' }).result).toBe('unpaid');
    expect(describeCheckoutSession({ ...base, amount_total: null, currency: null }).amount).toBeUndefined();

    const html = renderReturnPage(describeCheckoutSession(base));
    expect(html).toContain('<dd id="amount">42.00 USD</dd>');
    expect(html).toContain('<dd id="status">Payment received</dd>');
  });

  it('escapes what it prints', () => {
    const html = renderReturnPage({ result: 'paid', title: '<script>x</script>', message: '"&', amount: '<b>1</b>' });
    expect(html).not.toContain('<script>x');
    expect(html).not.toContain('<b>1');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('&quot;&amp;');
  });
});
