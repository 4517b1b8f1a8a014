import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/connection.js';
import { appendLedgerEntry } from '../../src/db/ledger.js';
import { api, createTestApp, type TestApp } from '../helpers/app-context.js';

let app: TestApp;
const inRange = '2026-03-15T12:00:00Z';
const outOfRange = '2026-01-15T12:00:00Z';

/** Rows as the flows write them; the flows themselves are covered by their own integration tests. */
async function seed(): Promise<void> {
  const db = app.db;
  await sql`insert into orders (tenant_id, id, amount, currency, status, captured_amount, refunded_total, paid_at) values
    ('t1', 'o1', 10000, 'usd', 'partially_refunded', 10000, 2500, ${inRange}),
    ('t1', 'o2', 3000, 'jpy', 'paid', 3000, 0, ${inRange}),
    ('t1', 'o3', 999, 'usd', 'paid', 999, 0, ${outOfRange}),
    ('t2', 'o4', 77777, 'usd', 'paid', 77777, 0, ${inRange})`.execute(db);
  await sql`insert into order_payments (tenant_id, order_id, attempt, payment_intent_id, status, amount, currency, created_at) values
    ('t1', 'o1', 1, 'pi_a', 'failed', 10000, 'usd', ${inRange}),
    ('t1', 'o1', 2, 'pi_b', 'succeeded', 10000, 'usd', ${inRange})`.execute(db);
  await sql`insert into order_refunds (tenant_id, id, order_id, request_key, idempotency_key, payment_intent_id, amount, currency, reason, status, created_at) values
    ('t1', 'r1', 'o1', 'k1', 'refund:t1:o1:k1', 'pi_b', 2500, 'usd', 'requested_by_customer', 'succeeded', ${inRange}),
    ('t1', 'r2', 'o1', 'k2', 'refund:t1:o1:k2', 'pi_b', 100, 'usd', 'requested_by_customer', 'failed', ${inRange})`.execute(db);
  await sql`insert into subscriptions (tenant_id, id, status, unit_amount, currency, interval, interval_count, quantity) values
    ('t1', 'sub_m', 'active', 2000, 'usd', 'month', 1, 1),
    ('t1', 'sub_y', 'active', 24000, 'usd', 'year', 1, 1),
    ('t1', 'sub_c', 'canceled', 5000, 'usd', 'month', 1, 1)`.execute(db);
  await sql`insert into subscription_cycles (tenant_id, invoice_id, subscription_id, status, amount_paid, currency, created_at) values
    ('t1', 'in_1', 'sub_m', 'paid', 2000, 'usd', ${inRange}),
    ('t1', 'in_2', 'sub_m', 'failed', 0, 'usd', ${inRange})`.execute(db);
  await sql`insert into invoices (tenant_id, id, source, status, amount_due, amount_paid, currency) values
    ('t1', 'inv_open1', 'manual', 'pending', 4000, 0, 'eur'),
    ('t1', 'inv_open2', 'manual', 'pending', 1000, 0, 'eur'),
    ('t1', 'inv_draft', 'manual', 'draft', 1000, 0, 'eur')`.execute(db);
  await sql`insert into recovery_campaigns (tenant_id, id, item_kind, item_ref, amount, currency, status, recovered_amount, created_at) values
    ('t1', 'invoice:a', 'invoice', 'a', 4000, 'eur', 'paid', 4000, ${inRange}),
    ('t1', 'invoice:b', 'invoice', 'b', 1000, 'eur', 'expired', null, ${inRange}),
    ('t1', 'invoice:c', 'invoice', 'c', 500, 'eur', 'active', null, ${inRange}),
    ('t1', 'invoice:d', 'invoice', 'd', 700, 'eur', 'paid', 700, ${outOfRange})`.execute(db);
  await appendLedgerEntry(db, { tenantId: 't1', accountId: 'a', currency: 'usd', kind: 'top_up', amount: 1500, sourceKey: 'top_up:x' });
  await appendLedgerEntry(db, { tenantId: 't1', accountId: 'a', currency: 'usd', kind: 'spend', amount: -500, sourceKey: 'spend:x' });
  // credit_balances is written only by the ledger's trigger: the app's role may not, the owner may.
  const owner = createDb(app.ownerUrl, { max: 1 });
  try {
    await sql`update credit_balances set updated_at = now()`.execute(owner);
  } finally {
    await owner.destroy();
  }
}

beforeAll(async () => {
  app = await createTestApp();
  await seed();
});

afterAll(async () => {
  await app?.close();
});

describe('GET /v1/admin/financial-summary', () => {
  it('sums paid, refunds, net, credits, MRR, failures and open invoices per currency for the caller tenant only', async () => {
    const response = await api(app, 'GET', '/v1/admin/financial-summary?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z', {
      key: app.keys.t1Admin,
    });
    expect(response.status).toBe(200);
    // The seeded top-up was credited today, outside March, so only the order and the subscription cycle count.
    expect(response.body.currencies).toEqual([
      { currency: 'jpy', exponent: 0, gross_paid: 3000, refunds: 0, net: 3000, credits_outstanding: 0, mrr: 0 },
      { currency: 'usd', exponent: 2, gross_paid: 12000, refunds: 2500, net: 9500, credits_outstanding: 1000, mrr: 4000 },
    ]);
    expect(response.body.active_subscriptions).toBe(2);
    expect(response.body.failed_payments).toBe(2);
    expect(response.body.open_invoices).toEqual({ count: 2, amount_due: [{ currency: 'eur', amount: 5000 }] });
    // One paid and one expired among the finished campaigns started in March; the active one is not finished yet.
    expect(response.body.recoveries).toEqual([
      { currency: 'eur', campaigns: 3, paid: 1, recovery_rate: 0.5, amount_chased: 5500, amount_recovered: 4000 },
    ]);
  });

  it('is for admins only and validates the range', async () => {
    expect((await api(app, 'GET', '/v1/admin/financial-summary', { key: app.keys.t1Member })).status).toBe(403);
    const reversed = await api(app, 'GET', '/v1/admin/financial-summary?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z', { key: app.keys.t1Admin });
    expect(reversed.status).toBe(400);
    expect((await api(app, 'GET', '/v1/admin/financial-summary?from=yesterday', { key: app.keys.t1Admin })).status).toBe(400);
  });

  it("shows another tenant nothing of t1's money", async () => {
    const response = await api(app, 'GET', '/v1/admin/financial-summary?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z', {
      key: app.keys.t2Admin,
    });
    expect(response.body.currencies).toEqual([{ currency: 'usd', exponent: 2, gross_paid: 77777, refunds: 0, net: 77777, credits_outstanding: 0, mrr: 0 }]);
    expect(response.body.active_subscriptions).toBe(0);
  });
});
