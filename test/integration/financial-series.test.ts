import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestApp, type TestApp } from '../helpers/app-context.js';

let app: TestApp;

/** Rows as the flows write them, on known UTC days (the flows themselves are covered by their own tests). */
async function seed(): Promise<void> {
  const db = app.db;
  await sql`insert into orders (tenant_id, id, amount, currency, status, captured_amount, refunded_total, paid_at) values
    ('t1', 'o1', 10000, 'usd', 'partially_refunded', 10000, 2500, '2026-03-02T23:59:59Z'),
    ('t1', 'o2', 3000, 'jpy', 'paid', 3000, 0, '2026-03-03T00:00:00Z'),
    ('t1', 'o3', 999, 'usd', 'paid', 999, 0, '2026-03-03T10:00:00Z'),
    ('t1', 'o4', 1, 'usd', 'paid', 1, 0, '2026-03-05T00:00:00Z'),
    ('t2', 'o5', 77777, 'usd', 'paid', 77777, 0, '2026-03-02T12:00:00Z')`.execute(db);
  await sql`insert into order_refunds (tenant_id, id, order_id, request_key, idempotency_key, payment_intent_id, amount, currency, reason, status, created_at) values
    ('t1', 'r1', 'o1', 'k1', 'refund:t1:o1:k1', 'pi_b', 2500, 'usd', 'requested_by_customer', 'succeeded', '2026-03-03T08:00:00Z'),
    ('t1', 'r2', 'o1', 'k2', 'refund:t1:o1:k2', 'pi_b', 100, 'usd', 'requested_by_customer', 'failed', '2026-03-03T08:00:00Z')`.execute(db);
  await sql`insert into subscription_cycles (tenant_id, invoice_id, subscription_id, status, amount_paid, currency, created_at) values
    ('t1', 'in_1', 'sub_m', 'paid', 2000, 'usd', '2026-03-04T09:00:00Z'),
    ('t1', 'in_2', 'sub_m', 'failed', 0, 'usd', '2026-03-04T09:00:00Z')`.execute(db);
  // As appendLedgerEntry writes them (its trigger keeps balance_after and credit_balances), on a known day.
  await sql`insert into credit_ledger (tenant_id, account_id, currency, kind, amount, balance_after, source_key, created_at) values
    ('t1', 'a', 'eur', 'top_up', 1500, 0, 'top_up:x', '2026-03-04T12:00:00Z'),
    ('t1', 'a', 'eur', 'grant', 200, 0, 'grant:x', '2026-03-04T13:00:00Z'),
    ('t1', 'a', 'eur', 'spend', -500, 0, 'spend:x', '2026-03-04T14:00:00Z')`.execute(db);
}

beforeAll(async () => {
  app = await createTestApp();
  await seed();
});

afterAll(async () => {
  await app?.close();
});

const zero = (date: string) => ({ date, gross: 0, refunds: 0, net: 0, credits_issued: 0, credits_spent: 0 });

describe('GET /v1/admin/financial-summary/series', () => {
  it('gives every UTC day of the range per currency, computed in SQL from the rows the summary sums', async () => {
    const response = await api(app, 'GET', '/v1/admin/financial-summary/series?from=2026-03-01&to=2026-03-05&interval=day', { key: app.keys.t1Admin });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      tenant_id: 't1',
      from: '2026-03-01',
      to: '2026-03-05',
      interval: 'day',
      currencies: [
        {
          currency: 'eur',
          exponent: 2,
          days: [
            zero('2026-03-01'),
            zero('2026-03-02'),
            zero('2026-03-03'),
            { date: '2026-03-04', gross: 1500, refunds: 0, net: 1500, credits_issued: 1700, credits_spent: 500 },
            zero('2026-03-05'),
          ],
        },
        {
          currency: 'jpy',
          exponent: 0,
          days: [zero('2026-03-01'), zero('2026-03-02'), { ...zero('2026-03-03'), gross: 3000, net: 3000 }, zero('2026-03-04'), zero('2026-03-05')],
        },
        {
          currency: 'usd',
          exponent: 2,
          days: [
            zero('2026-03-01'),
            { ...zero('2026-03-02'), gross: 10000, net: 10000 },
            { ...zero('2026-03-03'), gross: 999, refunds: 2500, net: -1501 },
            { ...zero('2026-03-04'), gross: 2000, net: 2000 },
            { ...zero('2026-03-05'), gross: 1, net: 1 },
          ],
        },
      ],
    });
  });

  it('adds up to the summary over the same range', async () => {
    const series = await api(app, 'GET', '/v1/admin/financial-summary/series?from=2026-03-02&to=2026-03-04', { key: app.keys.t1Admin });
    const summary = await api(app, 'GET', '/v1/admin/financial-summary?from=2026-03-02T00:00:00Z&to=2026-03-05T00:00:00Z', { key: app.keys.t1Admin });
    const fromSeries = series.body.currencies.map((currency: { currency: string; days: Array<{ gross: number; refunds: number }> }) => ({
      currency: currency.currency,
      gross_paid: currency.days.reduce((sum, day) => sum + day.gross, 0),
      refunds: currency.days.reduce((sum, day) => sum + day.refunds, 0),
    }));
    expect(fromSeries).toEqual(summary.body.currencies.map(({ currency, gross_paid, refunds }: Record<string, unknown>) => ({ currency, gross_paid, refunds })));
    expect(fromSeries).toEqual([
      { currency: 'eur', gross_paid: 1500, refunds: 0 },
      { currency: 'jpy', gross_paid: 3000, refunds: 0 },
      { currency: 'usd', gross_paid: 12999, refunds: 2500 },
    ]);
  });

  it("is tenant-scoped: t2 sees its own order only, and an empty range is an empty list", async () => {
    const t2 = await api(app, 'GET', '/v1/admin/financial-summary/series?from=2026-03-02&to=2026-03-02', { key: app.keys.t2Admin });
    expect(t2.body.currencies).toEqual([{ currency: 'usd', exponent: 2, days: [{ ...zero('2026-03-02'), gross: 77777, net: 77777 }] }]);
    const quiet = await api(app, 'GET', '/v1/admin/financial-summary/series?from=2025-01-01&to=2025-01-31', { key: app.keys.t1Admin });
    expect(quiet.body.currencies).toEqual([]);
  });

  it('defaults to the last 30 UTC days, is for admins only and validates the range', async () => {
    const defaults = await api(app, 'GET', '/v1/admin/financial-summary/series', { key: app.keys.t1Admin });
    expect(defaults.status).toBe(200);
    expect((Date.parse(defaults.body.to) - Date.parse(defaults.body.from)) / 86_400_000).toBe(29);
    expect(defaults.body.to).toBe(new Date().toISOString().slice(0, 10));
    expect((await api(app, 'GET', '/v1/admin/financial-summary/series', { key: app.keys.t1Member })).status).toBe(403);
    const reversed = await api(app, 'GET', '/v1/admin/financial-summary/series?from=2026-03-05&to=2026-03-01', { key: app.keys.t1Admin });
    expect(reversed.status).toBe(400);
    expect((await api(app, 'GET', '/v1/admin/financial-summary/series?from=2024-01-01&to=2026-03-01', { key: app.keys.t1Admin })).status).toBe(400);
    expect((await api(app, 'GET', '/v1/admin/financial-summary/series?interval=hour', { key: app.keys.t1Admin })).status).toBe(400);
    expect((await api(app, 'GET', '/v1/admin/financial-summary/series?from=yesterday', { key: app.keys.t1Admin })).status).toBe(400);
  });

  it('is in the OpenAPI document', async () => {
    const document = await api(app, 'GET', '/openapi.json');
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/v1/admin/financial-summary/series', '/v1/admin/recovery-funnel', '/v1/admin/webhook-health']),
    );
    expect(document.body.components.schemas.FinancialSeries).toBeDefined();
  });
});
