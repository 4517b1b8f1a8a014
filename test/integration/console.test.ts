/**
 * The operator console (/console) in a real browser against the real stack: Debian's Chromium through
 * playwright-core (test/helpers/browser.ts), the gateway with a worker, PostgreSQL, Temporal and stripe-mock. The
 * data is made through the API and signed webhooks: two credited top-ups, two recovery campaigns, one webhook with
 * a bad signature. Each view's numbers are compared with the API's answers, the pause and mark-paid buttons are
 * checked through the API afterwards, and each view is saved as a screenshot (test-results/screenshots/).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastDays, money, percent } from '../../src/console/format.js';
import { api, FRONTEND_ORIGIN, useTestApp, waitFor, type TestApp } from '../helpers/app-context.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { checkoutSessionEvent, deliverStripeEvent, signatureFor, stripeEvent } from '../helpers/stripe-events.js';

let app: TestApp;
useTestApp((started) => (app = started));

let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

const admin = () => app.keys.t1Admin;

async function creditTopUp(amount: number, currency: string): Promise<void> {
  const created = await api(app, 'POST', '/v1/credits/top-ups', { key: admin(), body: { amount, currency }, headers: { origin: FRONTEND_ORIGIN } });
  if (created.status !== 201) throw new Error(`top-up not created: ${JSON.stringify(created.body)}`);
  const session = { id: created.body.checkout_session_id, tenantId: 't1', topUpId: created.body.id, amountTotal: amount, currency };
  await deliverStripeEvent(app, checkoutSessionEvent('checkout.session.completed', session));
  await waitFor(async () => {
    const response = await api(app, 'GET', `/v1/credits/top-ups/${created.body.id}`, { key: admin() });
    return response.body.status === 'credited' ? true : undefined;
  }, `${currency} top-up credited`);
}

async function startCampaign(reference: string, email: string, amount: number): Promise<void> {
  const created = await api(app, 'POST', '/v1/recoveries', {
    key: admin(),
    body: { transaction_reference: reference, amount, currency: 'eur', customer: { email, time_zone: 'Europe/Berlin' } },
  });
  if (created.status !== 201) throw new Error(`campaign not started: ${JSON.stringify(created.body)}`);
  // Settled: the first step went out and the next one (a day later) is planned, so the numbers stay put.
  await waitFor(async () => {
    const response = await api(app, 'GET', `/v1/recoveries/txn:${reference}`, { key: admin() });
    return response.status === 200 && response.body.live && response.body.attempts >= 1 && response.body.next_step ? true : undefined;
  }, `campaign ${reference} with its first step sent`);
}

async function campaignStatus(id: string): Promise<string> {
  return (await api(app, 'GET', `/v1/recoveries/${id}`, { key: admin() })).body.status;
}

/** Follows a nav link with the keyboard (focus, Enter) and waits for the view to be drawn. */
async function openView(name: string, view: string): Promise<void> {
  await page.getByRole('link', { name, exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.locator(`main[data-ready="${view}"][aria-busy="false"]`).waitFor();
}

beforeAll(async () => {
  const schedule = { steps: [{ offset_minutes: 0, channels: ['email'] }, { offset_minutes: 1440, channels: ['email'] }], quiet_hours: null, max_attempts: 5, expiry_days: 14 };
  expect((await api(app, 'PUT', '/v1/admin/recovery-schedule', { key: admin(), body: schedule })).status).toBe(200);
  await creditTopUp(1500, 'usd');
  await creditTopUp(3000, 'jpy');
  await startCampaign('console-1', 'ada@example.test', 4200);
  await startCampaign('console-2', 'grace@example.test', 1999);
  const forged = JSON.stringify(stripeEvent('invoice.paid', { id: 'in_forged' }));
  const refused = await api(app, 'POST', '/v1/webhooks/stripe', { rawBody: forged, headers: { 'stripe-signature': signatureFor(forged, 'whsec_not_ours') } });
  expect(refused.status).toBe(400);

  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('operator console', () => {
  it('is served with a same-origin-only script policy and refuses a key without the admin role', async () => {
    const response = await page.goto(`${app.baseUrl}/console`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByLabel('Admin API key').fill(app.keys.t1Member);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not an admin key');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // The one error so far is the API's 403 for that key, which the browser logs.
    expect(pageErrors).toEqual([expect.stringContaining('403')]);
    pageErrors.length = 0;
  });

  it('signs in with an admin key kept for the tab only, and shows the money the API reports', async () => {
    await page.getByLabel('Admin API key').fill(admin());
    await page.keyboard.press('Enter');
    await page.locator('main[data-ready="money"][aria-busy="false"]').waitFor();
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length])).toEqual([1, 0]);

    const range = lastDays(30);
    const summary = await api(app, 'GET', `/v1/admin/financial-summary?from=${range.from}&to=${range.to}`, { key: admin() });
    expect(summary.body.currencies.map((row: { currency: string }) => row.currency)).toEqual(['jpy', 'usd']);
    for (const row of summary.body.currencies) {
      expect(await page.getByTestId(`money-${row.currency}-gross`).textContent()).toBe(money(row.gross_paid, row.currency));
      expect(await page.getByTestId(`money-${row.currency}-refunds`).textContent()).toBe(money(row.refunds, row.currency));
      expect(await page.getByTestId(`money-${row.currency}-net`).textContent()).toBe(money(row.net, row.currency));
      expect(await page.getByTestId(`money-${row.currency}-credits`).textContent()).toBe(money(row.credits_outstanding, row.currency));
      expect(await page.getByTestId(`money-${row.currency}-mrr`).textContent()).toBe(money(row.mrr, row.currency));
      await expect.poll(() => page.locator(`[data-testid="money-chart-${row.currency}"] canvas`).count()).toBe(1);
    }
    // Formatted with each currency's exponent: $15.00 and ¥3000.
    expect(await page.getByTestId('money-usd-gross').textContent()).toBe('15.00 USD');
    expect(await page.getByTestId('money-jpy-gross').textContent()).toBe('3000 JPY');
    expect(await page.getByTestId('active-subscriptions').textContent()).toBe(String(summary.body.active_subscriptions));

    await page.getByRole('button', { name: 'Last 90 days' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('button', { name: 'Last 90 days' }).getAttribute('aria-pressed')).toBe('true');
    await page.screenshot({ path: screenshotPath('console-money'), fullPage: true });

    // Another tab of the same browser does not get the key.
    const other = await context.newPage();
    await other.goto(`${app.baseUrl}/console`);
    await other.getByLabel('Admin API key').waitFor();
    await other.close();
  });

  it('shows the recovery funnel and list as the API does; pause and mark-paid change the campaigns in the API', async () => {
    await openView('Recoveries', 'recoveries');
    const range = lastDays(30);
    const funnel = await api(app, 'GET', `/v1/admin/recovery-funnel?from=${range.from}&to=${range.to}`, { key: admin() });
    expect(funnel.body).toMatchObject({ started: 2, messaged: 2, open: 2 });
    for (const key of ['started', 'messaged', 'paid', 'expired', 'exhausted', 'cancelled', 'open']) {
      expect(await page.getByTestId(`funnel-${key}`).textContent()).toBe(String(funnel.body[key]));
    }
    const summary = await api(app, 'GET', `/v1/admin/financial-summary?from=${range.from}&to=${range.to}`, { key: admin() });
    const eur = summary.body.recoveries.find((row: { currency: string }) => row.currency === 'eur');
    expect(await page.getByTestId('recovered-eur').textContent()).toBe(money(eur.amount_recovered, 'eur'));
    expect(await page.getByTestId('recovery-rate-eur').textContent()).toBe(percent(eur.recovery_rate));

    const rows = page.locator('[data-testid="campaigns"] tbody tr');
    expect(await rows.count()).toBe(2);
    const link = page.getByRole('link', { name: 'txn:console-1' });
    expect(await link.getAttribute('href')).toBe(
      `${app.config.TEMPORAL_UI_URL}/namespaces/${app.config.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent('recovery:t1:txn:console-1')}`,
    );
    expect(await page.locator('[data-campaign="txn:console-1"] td').nth(4).textContent()).toMatch(/^Step 2 at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);

    await page.getByLabel('Customer email, phone or id').fill('grace@example.test');
    await page.keyboard.press('Enter');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-campaign')).toBe('txn:console-2');
    await page.getByRole('button', { name: 'Mark paid txn:console-2' }).click();
    await waitFor(async () => ((await campaignStatus('txn:console-2')) === 'paid' ? true : undefined), 'campaign 2 paid in the API');
    await expect.poll(() => page.locator('[data-campaign="txn:console-2"] [data-testid="campaign-status"]').textContent()).toBe('paid');

    await page.getByLabel('Customer email, phone or id').fill('');
    await page.keyboard.press('Enter');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByRole('button', { name: 'Pause txn:console-1' }).focus();
    await page.keyboard.press('Enter');
    await waitFor(async () => ((await campaignStatus('txn:console-1')) === 'paused' ? true : undefined), 'campaign 1 paused in the API');
    await expect.poll(() => page.locator('[data-campaign="txn:console-1"] [data-testid="campaign-status"]').textContent()).toBe('paused');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('pause done, now paused');
    // The funnel and the rate follow: one paid out of one finished.
    await expect.poll(() => page.getByTestId('funnel-paid').textContent()).toBe('1');
    expect(await page.getByTestId('recovery-rate-eur').textContent()).toBe('100.0%');
    expect(await page.getByTestId('recovered-eur').textContent()).toBe('19.99 EUR');
    await page.screenshot({ path: screenshotPath('console-recoveries'), fullPage: true });
  });

  it('shows the stuck work the API lists', async () => {
    await openView('Stuck work', 'stuck');
    const attention = await api(app, 'GET', '/v1/admin/attention', { key: admin() });
    // Nothing ran out of retries in this file: the empty state says what would appear and what to do.
    expect(attention.body.data).toEqual([]);
    expect(await page.getByText('Nothing is stuck.').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('console-stuck-work'), fullPage: true });
  });

  it('shows webhook health: outcomes per hour, the last event and the signature failure', async () => {
    await openView('Webhook health', 'webhooks');
    const health = await api(app, 'GET', '/v1/admin/webhook-health', { key: admin() });
    expect(health.body.signature_failures).toBe(1);
    expect(await page.getByTestId('signature-failures').textContent()).toBe('1');
    const totals: Record<string, number> = {};
    for (const hour of health.body.hours) for (const [outcome, count] of Object.entries(hour.outcomes as Record<string, number>)) totals[outcome] = (totals[outcome] ?? 0) + count;
    expect(totals.refused).toBe(1);
    expect(Object.keys(totals).length).toBeGreaterThan(1);
    for (const [outcome, count] of Object.entries(totals)) expect(await page.getByTestId(`outcome-${outcome}`).textContent()).toBe(String(count));
    expect(await page.getByTestId('last-event').textContent()).not.toBe('none yet');
    await expect.poll(() => page.locator('[data-testid="webhook-chart"] canvas').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('console-webhook-health'), fullPage: true });
  });

  it('ran without script errors (nothing blocked by the content security policy)', () => {
    expect(pageErrors).toEqual([]);
  });
});
