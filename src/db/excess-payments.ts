import type { Selectable } from 'kysely';
import type { RecoveryItemKind } from '../domain/recovery/contracts.js';
import type { ExcessPaymentInput, ExcessPaymentRecord } from '../domain/transaction/contracts.js';
import { toSafeInteger } from '../domain/money.js';
import type { DbExecutor, ExcessPaymentTables } from './schema.js';

function toRecord(row: Selectable<ExcessPaymentTables['excess_payments']>): ExcessPaymentRecord {
  return {
    tenantId: row.tenant_id,
    paymentIntentId: row.payment_intent_id,
    itemKind: row.item_kind,
    itemRef: row.item_ref,
    amount: toSafeInteger(row.amount),
    currency: row.currency,
    reason: row.reason,
    refundId: row.refund_id,
    refundStatus: row.refund_status,
    detectedAt: row.detected_at.toISOString(),
  };
}

/** Once per PaymentIntent (the primary key): a second detection of the same payment returns the first row. */
export async function recordExcessPayment(db: DbExecutor, input: ExcessPaymentInput): Promise<ExcessPaymentRecord> {
  await db
    .insertInto('excess_payments')
    .values({
      tenant_id: input.tenantId,
      payment_intent_id: input.paymentIntentId,
      item_kind: input.item.kind,
      item_ref: input.item.ref,
      amount: input.amount,
      currency: input.currency.toLowerCase(),
      reason: input.reason,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'payment_intent_id']).doNothing())
    .execute();
  return (await findExcessPayment(db, input.tenantId, input.paymentIntentId))!;
}

export async function findExcessPayment(db: DbExecutor, tenantId: string, paymentIntentId: string): Promise<ExcessPaymentRecord | undefined> {
  const row = await db
    .selectFrom('excess_payments')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('payment_intent_id', '=', paymentIntentId)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function markExcessRefund(db: DbExecutor, tenantId: string, paymentIntentId: string, refund: { id: string | null; status: string }): Promise<void> {
  await db
    .updateTable('excess_payments')
    .set({ ...(refund.id ? { refund_id: refund.id } : {}), refund_status: refund.status, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('payment_intent_id', '=', paymentIntentId)
    .execute();
}

export async function listExcessPayments(
  db: DbExecutor,
  tenantId: string,
  filter: { item?: { kind: RecoveryItemKind; ref: string }; limit?: number } = {},
): Promise<ExcessPaymentRecord[]> {
  let query = db.selectFrom('excess_payments').selectAll().where('tenant_id', '=', tenantId);
  if (filter.item) query = query.where('item_kind', '=', filter.item.kind).where('item_ref', '=', filter.item.ref);
  const rows = await query.orderBy('detected_at', 'desc').orderBy('payment_intent_id').limit(filter.limit ?? 100).execute();
  return rows.map(toRecord);
}
