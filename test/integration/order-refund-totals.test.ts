/**
 * Refund bookkeeping under concurrency, on real PostgreSQL: the order's refunded total and status are recomputed
 * from order_refunds under the order's row lock, so 20 refunds settling at once never lose an update.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connection.js';
import { ensureTenant } from '../../src/db/tenants.js';
import { findOrder, upsertOrder } from '../../src/db/orders/order.js';
import { insertAttempt, recordAttemptResult } from '../../src/db/orders/attempts.js';
import { insertRefund, reconcileRefundTotals, updateRefund } from '../../src/db/orders/refunds.js';
import { createTestDatabase } from '../helpers/app-context.js';

let db: Db;

beforeAll(async () => {
  ({ db } = await createTestDatabase());
  await ensureTenant(db, { id: 't1', name: 'Tenant one' });
});

afterAll(async () => {
  await db?.destroy();
});

async function paidOrder(orderId: string, captured: number): Promise<void> {
  await upsertOrder(db, { tenantId: 't1', id: orderId, amount: captured, currency: 'usd' });
  await insertAttempt(db, { tenantId: 't1', orderId, attempt: 1, paymentIntentId: `pi_${orderId}`, status: 'requires_payment_method', amount: captured, currency: 'usd' });
  await recordAttemptResult(db, {
    tenantId: 't1',
    orderId,
    attempt: 1,
    status: 'succeeded',
    amountReceived: captured,
    orderStatus: 'paid',
    paid: { paymentIntentId: `pi_${orderId}`, capturedAmount: captured },
  });
}

describe('order refund totals', () => {
  it('20 concurrent partial refunds: refunded amount is the sum of the succeeded ones and the status follows, in every round', async () => {
    for (let round = 0; round < 5; round++) {
      const orderId = `ord_concurrent_${round}`;
      await paidOrder(orderId, 20_000);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const { refund } = await insertRefund(db, {
          tenantId: 't1',
          orderId,
          id: `rf_${round}_${i}`,
          requestKey: `k${i}`,
          paymentIntentId: `pi_${orderId}`,
          amount: 500,
          currency: 'usd',
          reason: 'requested_by_customer',
        });
        ids.push(refund.id);
      }
      // Every fourth refund fails at Stripe; the rest succeed, all reported at the same moment.
      await Promise.all(
        ids.map((id, i) => updateRefund(db, { tenantId: 't1', orderId, id, status: i % 4 === 3 ? 'failed' : 'succeeded', stripeRefundId: `re_${id}` })),
      );
      const order = (await findOrder(db, 't1', orderId))!;
      expect(order.refundedTotal).toBe(15 * 500);
      expect(order.status).toBe('partially_refunded');
    }
  });

  it('reaches refunded when the succeeded refunds cover the capture, and reconciling repairs a drifted total', async () => {
    const orderId = 'ord_full';
    await paidOrder(orderId, 2_000);
    const ids = await Promise.all(
      [0, 1, 2, 3].map(async (i) => (await insertRefund(db, { tenantId: 't1', orderId, id: `rf_full_${i}`, requestKey: `f${i}`, paymentIntentId: `pi_${orderId}`, amount: 500, currency: 'usd', reason: 'duplicate' })).refund.id),
    );
    await Promise.all(ids.map((id) => updateRefund(db, { tenantId: 't1', orderId, id, status: 'succeeded' })));
    expect(await findOrder(db, 't1', orderId)).toMatchObject({ refundedTotal: 2_000, status: 'refunded' });

    await db.withTables<{ orders: { tenant_id: string; id: string; refunded_total: number; status: string } }>()
      .updateTable('orders')
      .set({ refunded_total: 500, status: 'partially_refunded' })
      .where('id', '=', orderId)
      .execute();
    expect(await reconcileRefundTotals(db, 't1', orderId)).toBe(2_000);
    expect(await findOrder(db, 't1', orderId)).toMatchObject({ refundedTotal: 2_000, status: 'refunded' });
  });
});
