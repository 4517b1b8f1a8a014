import type { RecoveryItemKind } from '../../../domain/recovery/contracts.js';
import type { Db } from '../../../db/connection.js';
import { listExcessPayments } from '../../../db/excess-payments.js';
import type { z } from '../../zod.js';
import type { itemExcessPaymentsJson } from './schemas.js';

type ExcessPaymentRow = Awaited<ReturnType<typeof listExcessPayments>>[number];

export function excessPaymentJson(row: ExcessPaymentRow) {
  return {
    payment_intent_id: row.paymentIntentId,
    item: { kind: row.itemKind, ref: row.itemRef },
    amount: row.amount,
    currency: row.currency,
    reason: row.reason,
    refund_id: row.refundId,
    refund_status: row.refundStatus,
    detected_at: row.detectedAt,
  };
}

/** One item's excess payments, read and shaped for its detail answer. */
export async function itemExcessPayments(db: Db, tenantId: string, item: { kind: RecoveryItemKind; ref: string }): Promise<z.infer<typeof itemExcessPaymentsJson>> {
  const rows = await listExcessPayments(db, tenantId, { item });
  return rows.map((row) => ({
    payment_intent_id: row.paymentIntentId,
    amount: row.amount,
    currency: row.currency,
    refund_id: row.refundId,
    refund_status: row.refundStatus,
    detected_at: row.detectedAt,
  }));
}
