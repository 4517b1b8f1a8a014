import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { RecoveryItemKind } from '../../../activities/recovery-types.js';
import type { Db } from '../../db/connection.js';
import { listExcessPayments } from '../../db/excess-payments.js';
import { requireRole } from '../auth.js';
import { addRoute, jsonResponse, problemResponse, type RouteDeps } from '../route.js';
import { z } from '../zod.js';

const excessPaymentJson = z
  .object({
    payment_intent_id: z.string(),
    item: z.object({ kind: z.string(), ref: z.string() }),
    amount: z.number().int(),
    currency: z.string(),
    reason: z.string(),
    refund_id: z.string().nullable(),
    refund_status: z.string(),
    detected_at: z.string(),
  })
  .openapi('ExcessPayment');

/** One item's excess payments, as its detail route shows them. */
export const itemExcessPaymentsJson = z
  .array(
    z.object({
      payment_intent_id: z.string(),
      amount: z.number().int(),
      currency: z.string(),
      refund_id: z.string().nullable(),
      refund_status: z.string(),
      detected_at: z.string(),
    }),
  )
  .openapi({ description: 'Payments received after the item was settled (or voided), each refunded in full.' });

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

/** Money that arrived for an item already settled, and the refund that sent it back (admin). */
export function excessPaymentRoutes(registry: OpenAPIRegistry, { db, authenticate }: RouteDeps): Router {
  const router = Router();
  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/admin/excess-payments',
      summary: 'Payments received for items already settled, each refunded in full (admin)',
      tags: ['Admin'],
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
      middleware: [authenticate, requireRole('admin')],
      responses: {
        200: jsonResponse('Newest first', z.object({ data: z.array(excessPaymentJson) }).openapi('ExcessPaymentList')),
        403: problemResponse('Not an admin'),
      },
    },
    async ({ query, principal }, res) => {
      const rows = await listExcessPayments(db, principal.tenantId, { limit: query.limit });
      res.json({
        data: rows.map((row) => ({
          payment_intent_id: row.paymentIntentId,
          item: { kind: row.itemKind, ref: row.itemRef },
          amount: row.amount,
          currency: row.currency,
          reason: row.reason,
          refund_id: row.refundId,
          refund_status: row.refundStatus,
          detected_at: row.detectedAt,
        })),
      });
    },
  );
  return router;
}
