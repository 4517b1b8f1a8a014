/**
 * The example frontend (examples/web) in a real browser against the real stack: Debian's Chromium, headless,
 * driven by playwright-core; the gateway, worker, PostgreSQL, Temporal and stripe-mock (behind a recording proxy)
 * as every integration test has them. The app is built with Vite's JS API from the root install and served by a
 * tiny static server on its own origin (127.0.0.1:<port>), which is the only entry of ALLOWED_FRONTEND_ORIGINS:
 * every call the page makes is a cross-origin request, so the gateway's CORS is what lets it through, or not (the
 * same app on a third port is blocked by the browser).
 *
 * Stripe's hosted pages (checkout.stripe.com, billing.stripe.com) cannot be reached: the test answers them in
 * the browser (page.route) with a stand-in that records the URL and links to the success URL the gateway gave
 * Stripe, as Checkout does after payment. The webhook is delivered signed, as Stripe would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { createTestApp, waitFor, type TestApp } from '../helpers/app-context.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { checkoutSessionEvent, deliverStripeEvent } from '../helpers/stripe-events.js';
import { startStripeProxy, type StripeCall, type StripeProxy } from '../helpers/stripe-proxy.js';

const EXAMPLE_ROOT = path.join(PROJECT_ROOT, 'examples', 'web');

interface StaticServer {
  origin: string;
  /** Serves `dir` from now on (index.html for every path that is not a file: the app routes by path). */
  serve(dir: string): void;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

async function startStaticServer(): Promise<StaticServer> {
  let root: string | undefined;
  const server = http.createServer((req, res) => {
    if (!root) {
      res.writeHead(503).end('not built yet');
      return;
    }
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = path.join(root, path.normalize(pathname));
    if (!file.startsWith(root) || !isFile(file)) file = path.join(root, 'index.html');
    res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (dir) => void (root = dir),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Builds examples/web with Vite (its own vite.config.ts) for a gateway at `apiUrl`. */
async function buildExample(apiUrl: string, outDir: string): Promise<void> {
  const { build } = await import('vite');
  const previous = process.env.VITE_PAYMENTS_API_URL;
  process.env.VITE_PAYMENTS_API_URL = apiUrl;
  try {
    await build({ configFile: path.join(EXAMPLE_ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    if (previous === undefined) delete process.env.VITE_PAYMENTS_API_URL;
    else process.env.VITE_PAYMENTS_API_URL = previous;
  }
}

/** The gateway's request log lines (pino, `msg: 'request'`). */
interface RequestLine {
  method: string;
  path: string;
  status: number;
}
const logLines: string[] = [];
const requestLines = (): RequestLine[] =>
  logLines
    .map((line) => JSON.parse(line) as { msg?: string } & RequestLine)
    .filter((line) => line.msg === 'request')
    .map(({ method, path: p, status }) => ({ method, path: p, status }));

let proxy: StripeProxy;
/** Every Stripe call with stripe-mock's answer (the ids and URLs the gateway got). */
const stripeAnswers: Array<{ call: StripeCall; answer: Record<string, any> }> = [];
/** The last recorded Stripe call to POST `path`, with its answer. */
function lastStripePost(path: string) {
  const found = stripeAnswers.filter(({ call }) => call.method === 'POST' && call.path === path).at(-1);
  expect(found, `a POST ${path} to Stripe`).toBeDefined();
  return found!;
}
let app: TestApp;
let allowed: StaticServer;
let foreign: StaticServer;
let outDir: string;
let browser: Browser;

beforeAll(async () => {
  allowed = await startStaticServer();
  foreign = await startStaticServer();
  proxy = await startStripeProxy();
  proxy.patches.push((call, answer) => void stripeAnswers.push({ call, answer }));
  app = await createTestApp(
    {
      ...proxy.env,
      ALLOWED_FRONTEND_ORIGINS: allowed.origin,
      TOPUP_PRESET_AMOUNTS: '5,10,25',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_example',
    },
    { logDestination: { write: (line: string) => void logLines.push(line) } },
  );
  await app.startWorker();
  outDir = mkdtempSync(path.join(tmpdir(), 'example-web-'));
  await buildExample(app.baseUrl, outDir);
  allowed.serve(outDir);
  foreign.serve(outDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await proxy?.close();
  await allowed?.close();
  await foreign?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** Stripe's hosted pages as the browser meets them here: recorded, answered by a stand-in. */
interface HostedPages {
  visited: string[];
  /** Where the stand-in's "Pay" link goes, per visited URL (set before the visit). */
  returnTo: (url: string) => string | undefined;
}

/**
 * A fresh browser context (own sessionStorage) whose page has every https URL answered in the browser (the
 * gateway and the app are plain http on 127.0.0.1): a page navigation (Checkout, the Customer Portal) by a
 * stand-in page that records the URL, anything else (js.stripe.com) refused: the network is closed and nothing
 * should wait on it.
 *
 * Not with page.route(): any Playwright route turns on interception for every request, and Playwright then
 * answers CORS preflights itself with an allow-all 204 (crNetworkManager), so the gateway's CORS would never be
 * tested. A CDP Fetch interception limited to https leaves the calls to the gateway alone.
 */
async function newContext(hosted: HostedPages): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  cdp.on('Fetch.requestPaused', (event) => {
    const { requestId, request } = event;
    if (event.resourceType === 'Document') {
      hosted.visited.push(request.url);
      const back = hosted.returnTo(request.url);
      const link = back ? `<a id="pay" href="${back.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">Pay (test stand-in)</a>` : '';
      const body = `<!doctype html><title>Stripe stand-in</title><h1>Stripe stand-in</h1>${link}`;
      void cdp
        .send('Fetch.fulfillRequest', {
          requestId,
          responseCode: 200,
          responseHeaders: [{ name: 'Content-Type', value: 'text/html; charset=utf-8' }],
          body: Buffer.from(body).toString('base64'),
        })
        .catch(() => undefined);
      return;
    }
    void cdp.send('Fetch.failRequest', { requestId, errorReason: 'InternetDisconnected' }).catch(() => undefined);
  });
  await cdp.send('Fetch.enable', {
    patterns: [{ urlPattern: 'https://*', requestStage: 'Request' }],
  });
  return { context, page };
}

async function enterApiKey(page: Page, key: string): Promise<void> {
  await page.fill('#api-key', key);
  await page.click('#api-key-form button[type=submit]');
}

describe('the example frontend in Chromium, on another origin than the gateway', () => {
  it('tops up: a preset from the options route, the Checkout redirect, the signed webhook, the credited balance', async () => {
    let successUrl: string | undefined;
    const hosted: HostedPages = { visited: [], returnTo: () => successUrl };
    const { context, page } = await newContext(hosted);
    try {
      await page.goto(`${allowed.origin}/`);
      await enterApiKey(page, app.keys.t1Admin);
      // Presets from GET /v1/credits/top-up-options (TOPUP_PRESET_AMOUNTS=5,10,25 → 500, 1000, 2500 cents).
      const presets = page.locator('section[data-currency="usd"] button[data-amount]');
      await presets.first().waitFor();
      expect(await presets.evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-amount')))).toEqual(['500', '1000', '2500']);
      // The key stays in this tab's sessionStorage, nowhere else.
      expect(await page.evaluate(() => [sessionStorage.getItem('payments.apiKey'), localStorage.length, document.cookie])).toEqual([app.keys.t1Admin, 0, '']);

      const started = page.waitForResponse((r) => r.url() === `${app.baseUrl}/v1/credits/top-ups` && r.request().method() === 'POST');
      await page.click('section[data-currency="usd"] button[data-amount="1000"]');
      const response = await started;
      expect(response.status()).toBe(201);
      // The browser could read the cross-origin answer because the gateway allowed this origin, after a real
      // preflight (the request log shows the gateway answered it).
      expect(response.headers()['access-control-allow-origin']).toBe(allowed.origin);
      expect(requestLines()).toContainEqual({ method: 'OPTIONS', path: '/v1/credits/top-ups', status: 204 });

      // The Checkout Session the gateway created (the page navigates on at once, so its answer is read here):
      // the success URL is the documented path under this page's origin.
      const { call: sessionCall, answer: checkoutSession } = lastStripePost('/v1/checkout/sessions');
      const topUpId = sessionCall.form['metadata[top_up_id]']!;
      expect(topUpId).toMatch(/^tu_/);
      expect(sessionCall.form.success_url).toBe(`${allowed.origin}/credits/top-ups/success?top_up_id=${topUpId}&session_id={CHECKOUT_SESSION_ID}`);
      expect(sessionCall.form['line_items[0][price_data][unit_amount]']).toBe('1000');
      successUrl = sessionCall.form.success_url!.replace('{CHECKOUT_SESSION_ID}', checkoutSession.id);

      // The page followed the Checkout URL (captured in the browser).
      await page.waitForURL((url) => url.hostname === 'checkout.stripe.com');
      expect(hosted.visited).toEqual([checkoutSession.url]);
      await page.screenshot({ path: screenshotPath('browser-frontend-checkout-stand-in') });

      // Back from Checkout: the success page polls the top-up, pending until the webhook has been processed.
      await page.click('#pay');
      await page.waitForURL(successUrl);
      await page.locator('[data-top-up-status="pending"]').waitFor();

      await deliverStripeEvent(
        app,
        checkoutSessionEvent('checkout.session.completed', { id: checkoutSession.id, tenantId: 't1', topUpId, amountTotal: 1000, currency: 'usd' }),
      );
      await page.locator('[data-top-up-status="credited"]').waitFor();
      expect(await page.locator('[data-top-up-status]').textContent()).toBe('$10.00 credited.');
      const balance = page.locator('#balances li[data-currency="usd"]');
      await balance.waitFor();
      expect(await balance.textContent()).toBe('$10.00');
      await page.screenshot({ path: screenshotPath('browser-frontend-top-up-credited'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('subscriptions: products, Checkout in subscription mode, the billing portal; order payment: PaymentIntent, client_secret, confirm', async () => {
    const hosted: HostedPages = { visited: [], returnTo: () => undefined };
    const { context, page } = await newContext(hosted);
    try {
      await page.goto(`${allowed.origin}/subscriptions`);
      await enterApiKey(page, app.keys.t1Admin);
      const subscribe = page.locator('button[data-price]').first();
      await subscribe.waitFor();
      const priceId = await subscribe.getAttribute('data-price');
      await subscribe.click();
      await page.waitForURL((url) => url.hostname === 'checkout.stripe.com');
      const { call: checkoutCall, answer: session } = lastStripePost('/v1/checkout/sessions');
      expect(hosted.visited).toEqual([session.url]);
      expect(checkoutCall.form).toMatchObject({
        mode: 'subscription',
        'line_items[0][price]': priceId,
        success_url: `${allowed.origin}/subscriptions/success?session_id={CHECKOUT_SESSION_ID}`,
      });

      await page.goto(`${allowed.origin}/subscriptions`);
      await page.click('text=Manage billing');
      await page.waitForURL((url) => url.protocol === 'https:');
      const { call: portalCall, answer: portalSession } = lastStripePost('/v1/billing_portal/sessions');
      expect(hosted.visited).toEqual([session.url, new URL(portalSession.url).href]);
      expect(portalCall.form.return_url).toBe(`${allowed.origin}/account/billing`);

      // Order payment: the PaymentIntent's client_secret on the page, Stripe.js unreachable here, the status check.
      await page.goto(`${allowed.origin}/orders`);
      await page.fill('input[name=order_id]', 'browser-order-1');
      await page.fill('input[name=amount]', '12.50');
      await page.click('text=Pay this order');
      const secret = page.locator('#client-secret');
      await secret.waitFor();
      expect(await secret.textContent()).toMatch(/^pi_\w+_secret_\w+$/);
      expect(await page.locator('#payment-intent-id').textContent()).toMatch(/^pi_/);
      await page.locator('#stripe-js-state', { hasText: 'could not be loaded' }).waitFor();
      await page.click('text=Check payment status');
      const state = page.locator('[data-order-status]');
      await state.waitFor();
      expect(await state.textContent()).toMatch(/^Order browser-order-1: \w+ \(.*12\.50.*\)\.$/);
    } finally {
      await context.close();
    }
  });

  it('the same app on an origin outside ALLOWED_FRONTEND_ORIGINS is blocked by the browser', async () => {
    const { context, page } = await newContext({ visited: [], returnTo: () => undefined });
    try {
      const before = requestLines().length;
      await page.goto(`${foreign.origin}/`);
      const blocked = page.waitForEvent('requestfailed', (request) => request.url() === `${app.baseUrl}/v1/credits/top-up-options`);
      await enterApiKey(page, app.keys.t1Admin);
      await blocked;
      const alert = page.locator('[role=alert]');
      await alert.waitFor();
      expect(await alert.textContent()).toContain(`Could not reach the payments API at ${app.baseUrl}`);
      expect(await alert.textContent()).toContain(`is ${foreign.origin} in its ALLOWED_FRONTEND_ORIGINS?`);
      await page.screenshot({ path: screenshotPath('browser-frontend-origin-blocked') });

      // The gateway saw the preflight (answered without CORS headers) and never the call itself.
      await waitFor(
        async () => (requestLines().slice(before).some((l) => l.method === 'OPTIONS' && l.path === '/v1/credits/top-up-options') ? true : undefined),
        'the preflight in the request log',
      );
      expect(requestLines().slice(before).filter((l) => l.method !== 'OPTIONS')).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the example app type-checks against the typed client', async () => {
    const tsc = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', EXAMPLE_ROOT]).catch((error: { stdout?: string }) => {
      throw new Error(`tsc -p examples/web failed:\n${error.stdout ?? String(error)}`);
    });
    expect(stdout).toBe('');
  });
});
