import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceWorkflowId } from '../../src/temporal/workflow-ids.js';
import { invoiceStateQuery } from '../../workflows/invoice/messages.js';
import { api, createTestApp, waitFor, type TestApp } from '../helpers/app-context.js';
import { startStripeProxy, type StripeProxy } from '../helpers/stripe-proxy.js';
import { signatureFor, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';

let app: TestApp;
let proxy: StripeProxy;
const T1_ACCOUNT = 'acct_1InvoicesTenantOne';
const T2_ACCOUNT = 'acct_1InvoicesTenantTwo';

beforeAll(async () => {
  proxy = await startStripeProxy();
  app = await createTestApp(proxy.env);
  await app.db.updateTable('tenants').set({ stripe_account_id: T1_ACCOUNT }).where('id', '=', 't1').execute();
  await app.db.updateTable('tenants').set({ stripe_account_id: T2_ACCOUNT }).where('id', '=', 't2').execute();
  await app.startWorker();
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
});

async function deliver(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  const signature = signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!);
  return api(app, 'POST', '/v1/webhooks/stripe', { rawBody: payload, headers: { 'stripe-signature': signature } });
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function invoiceObject(id: string, overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    ...stripeFixture('invoice'),
    id,
    customer: `cus_${id}`,
    customer_email: 'ada@example.com',
    customer_name: 'Ada Lovelace',
    amount_due: 4200,
    amount_paid: 0,
    currency: 'usd',
    due_date: nowSeconds() + 14 * 86_400,
    metadata: {},
    parent: null,
    lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
    ...overrides,
  };
}

async function invoice(id: string, key = app.keys.t1Admin) {
  return api(app, 'GET', `/v1/invoices/${id}`, { key });
}

async function waitForStatus(id: string, status: string, key = app.keys.t1Admin) {
  return waitFor(async () => {
    const response = await invoice(id, key);
    return response.status === 200 && response.body.status === status ? response.body : undefined;
  }, `${id} to become ${status}`);
}

describe('invoices end to end (real Temporal, PostgreSQL, stripe-mock)', () => {
  it('signed invoice webhooks create and update rows, order-safely, with a client made on the fly', async () => {
    const id = 'in_test_lifecycle1';
    const t0 = nowSeconds() - 600;
    const transitions = { finalized_at: null, paid_at: null, voided_at: null, marked_uncollectible_at: null };
    const created = stripeEvent('invoice.created', invoiceObject(id, { status: 'draft', status_transitions: transitions, metadata: { tenant_id: 't1' } }), { created: t0 });
    const response = await deliver(created);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'routed', workflowId: invoiceWorkflowId('t1', id) });
    const draft = await waitForStatus(id, 'draft');
    expect(draft).toMatchObject({ source: 'stripe', stripe_invoice_id: id, amount_due: 4200, currency: 'usd' });

    const paidAt = t0 + 300;
    const paid = stripeEvent(
      'invoice.paid',
      invoiceObject(id, { status: 'paid', amount_paid: 4200, status_transitions: { ...transitions, finalized_at: t0 + 100, paid_at: paidAt }, metadata: { tenant_id: 't1' } }),
      { created: paidAt },
    );
    expect((await deliver(paid)).status).toBe(200);
    // A late, earlier event: finalized arrives after paid and must not regress the invoice.
    const lateFinalized = stripeEvent(
      'invoice.finalized',
      invoiceObject(id, { status: 'open', status_transitions: { ...transitions, finalized_at: t0 + 100 }, metadata: { tenant_id: 't1' } }),
      { created: t0 + 100 },
    );
    expect((await deliver(lateFinalized)).status).toBe(200);
    expect((await deliver(paid)).status).toBe(200);

    const handle = app.temporal.workflow.getHandle(invoiceWorkflowId('t1', id));
    await waitFor(async () => ((await handle.query(invoiceStateQuery)).eventLog.length >= 3 ? true : undefined), 'three events applied');
    const row = await waitForStatus(id, 'paid');
    expect(row).toMatchObject({ amount_paid: 4200, overdue: false, paid_at: new Date(paidAt * 1000).toISOString() });
    const state = await handle.query(invoiceStateQuery);
    expect(state.eventLog.map((entry) => entry.outcome)).toEqual(['inserted', 'applied', 'stale']);
    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({ TenantId: ['t1'], InvoiceId: [id], InvoiceStatus: ['paid'], CustomerId: [row.client_id] });

    const client = (await sql<Record<string, unknown>>`select * from clients where stripe_customer_id = ${`cus_${id}`}`.execute(app.db)).rows;
    expect(client).toHaveLength(1);
    expect(client[0]).toMatchObject({ tenant_id: 't1', email: 'ada@example.com', name: 'Ada Lovelace', id: row.client_id });

    expect((await invoice(id, app.keys.t2Admin)).status).toBe(404);
  });

  it('routes connected-account invoices to the owning tenant and parks platform invoices without a tenant', async () => {
    const connected = stripeEvent('invoice.finalized', invoiceObject('in_test_connected1', { status: 'open' }), { account: T2_ACCOUNT });
    expect((await deliver(connected)).body).toMatchObject({ status: 'routed', workflowId: invoiceWorkflowId('t2', 'in_test_connected1') });
    await waitForStatus('in_test_connected1', 'pending', app.keys.t2Admin);

    const platform = await deliver(stripeEvent('invoice.created', invoiceObject('in_test_platform1', { status: 'draft' })));
    expect(platform.status).toBe(200);
    expect(platform.body).toMatchObject({ status: 'parked', workflowId: 'parked-events:platform' });
  });

  it('creates a manual invoice and one Payment Link across concurrent and repeated calls; paying it marks paid once', async () => {
    const created = await api(app, 'POST', '/v1/invoices', {
      key: app.keys.t1Admin,
      body: {
        client: { email: 'grace@example.com', name: 'Grace' },
        line_items: [
          { description: 'Consulting', quantity: 3, unit_amount: 1000 },
          { description: 'Travel', unit_amount: 550 },
        ],
        currency: 'EUR',
        due_date: '2099-01-31',
        memo: 'January work',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ source: 'manual', status: 'pending', amount_due: 3550, currency: 'eur', memo: 'January work', payment_link_url: null });
    expect(created.body.id).toMatch(/^inv_[0-9a-f]{32}$/);
    const id: string = created.body.id;

    const before = proxy.calls.length;
    const [first, second] = await Promise.all([
      api(app, 'POST', `/v1/invoices/${id}/payment-link`, { key: app.keys.t1Admin }),
      api(app, 'POST', `/v1/invoices/${id}/payment-link`, { key: app.keys.t1Admin }),
    ]);
    expect([first.status, second.status]).toEqual([201, 201]);
    const third = await api(app, 'POST', `/v1/invoices/${id}/payment-link`, { key: app.keys.t1Admin });
    expect(third.status).toBe(200);
    expect(second.body.url).toBe(first.body.url);
    expect(third.body.url).toBe(first.body.url);
    const creates = proxy.calls.slice(before).filter((call) => call.method === 'POST');
    expect(creates.map((call) => call.path)).toEqual(['/v1/products', '/v1/prices', '/v1/payment_links']);
    for (const call of creates) expect(call.account).toBe(T1_ACCOUNT);
    expect(creates.map((call) => call.idempotencyKey)).toEqual([
      `invoice:t1:${id}:product`,
      `invoice:t1:${id}:price`,
      `invoice:t1:${id}:payment-link`,
    ]);
    expect(decodeURIComponent(creates[2]!.body)).toContain(`metadata[invoice_id]=${id}`);
    expect((await invoice(id)).body.payment_link_url).toBe(first.body.url);

    const session = {
      ...stripeFixture('checkout.session'),
      id: 'cs_test_invoice1',
      mode: 'payment',
      status: 'complete',
      payment_status: 'paid',
      amount_total: 3550,
      currency: 'eur',
      payment_link: first.body.payment_link_id,
      metadata: { purpose: 'invoice', tenant_id: 't1', invoice_id: id },
    };
    for (let i = 0; i < 2; i++) {
      // Two distinct events (a redelivery with a new id, or completed + async_payment_succeeded) for one payment.
      const response = await deliver(stripeEvent('checkout.session.completed', session, { account: T1_ACCOUNT }));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ status: 'routed', workflowId: invoiceWorkflowId('t1', id) });
    }
    const paid = await waitForStatus(id, 'paid');
    expect(paid).toMatchObject({ amount_paid: 3550, overdue: false });
    const payments = await sql<{ count: string }>`select count(*)::text as count from invoice_payments where tenant_id = 't1' and invoice_id = ${id}`.execute(app.db);
    expect(payments.rows[0]!.count).toBe('1');

    await waitFor(
      async () => (proxy.calls.some((call) => call.method === 'POST' && call.path === `/v1/payment_links/${first.body.payment_link_id}` && call.body.includes('active=false')) ? true : undefined),
      'payment link deactivated',
    );

    const again = await api(app, 'POST', `/v1/invoices/${id}/payment-link`, { key: app.keys.t1Admin });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invoice_paid');
    const voidPaid = await api(app, 'POST', `/v1/invoices/${id}/void`, { key: app.keys.t1Admin });
    expect(voidPaid.status).toBe(409);
    expect(voidPaid.body.code).toBe('invoice_paid');
  });

  it('refuses a Payment Link for a Stripe-sourced invoice (422) and voids manual invoices', async () => {
    const stripeSourced = await api(app, 'POST', '/v1/invoices/in_test_lifecycle1/payment-link', { key: app.keys.t1Admin });
    expect(stripeSourced.status).toBe(422);
    expect(stripeSourced.body.code).toBe('invoice_not_manual');
    expect((await api(app, 'POST', '/v1/invoices/in_test_lifecycle1/void', { key: app.keys.t1Admin })).body.code).toBe('invoice_not_manual');

    const created = await api(app, 'POST', '/v1/invoices', {
      key: app.keys.t1Admin,
      body: { client: { email: 'grace@example.com' }, amount: 999, currency: 'usd' },
      headers: { 'idempotency-key': 'void-me' },
    });
    expect(created.status).toBe(201);
    const replay = await api(app, 'POST', '/v1/invoices', {
      key: app.keys.t1Admin,
      body: { client: { email: 'grace@example.com' }, amount: 999, currency: 'usd' },
      headers: { 'idempotency-key': 'void-me' },
    });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(created.body.id);

    const voided = await api(app, 'POST', `/v1/invoices/${created.body.id}/void`, { key: app.keys.t1Admin });
    expect(voided.status).toBe(200);
    expect(voided.body.status).toBe('cancelled');
    const link = await api(app, 'POST', `/v1/invoices/${created.body.id}/payment-link`, { key: app.keys.t1Admin });
    expect(link.status).toBe(409);
    expect(link.body.code).toBe('invoice_cancelled');
    expect((await api(app, 'POST', `/v1/invoices/${created.body.id}/void`, { key: app.keys.t2Admin })).status).toBe(404);
  });

  it('lists invoices with filters and cursor pagination, tenant-scoped', async () => {
    const all = await api(app, 'GET', '/v1/invoices?limit=100', { key: app.keys.t1Admin });
    expect(all.status).toBe(200);
    const ids = all.body.data.map((row: { id: string }) => row.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; next_cursor: string | null } } = await api(
        app,
        'GET',
        `/v1/invoices?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        { key: app.keys.t1Admin },
      );
      paged.push(...page.body.data.map((row) => row.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(paged).toEqual(ids);

    const paid = await api(app, 'GET', '/v1/invoices?status=paid', { key: app.keys.t1Admin });
    expect(paid.body.data.length).toBeGreaterThanOrEqual(2);
    for (const row of paid.body.data) expect(row.status).toBe('paid');
    const clientId = paid.body.data.find((row: { source: string }) => row.source === 'manual').client_id;
    const byClient = await api(app, 'GET', `/v1/invoices?client_id=${clientId}`, { key: app.keys.t1Admin });
    for (const row of byClient.body.data) expect(row.client_id).toBe(clientId);
    const future = await api(app, 'GET', '/v1/invoices?created_from=2099-01-01', { key: app.keys.t1Admin });
    expect(future.body.data).toEqual([]);
    const t2 = await api(app, 'GET', '/v1/invoices', { key: app.keys.t2Admin });
    expect(t2.body.data.map((row: { id: string }) => row.id)).toEqual(['in_test_connected1']);
  });
});
