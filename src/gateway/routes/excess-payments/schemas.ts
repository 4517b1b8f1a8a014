import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { pageLimit } from '../../schemas.js';
import { z } from '../../zod.js';

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

/** One item's excess payments, as its detail route (order, invoice, transaction) shows them. */
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

export const contracts = {
  listExcessPayments: {
    summary: 'Payments received for items already settled, each refunded in full (admin)',
    query: z.object({ limit: pageLimit(100, 500) }),
    responses: {
      200: jsonResponse('Newest first', z.object({ data: z.array(excessPaymentJson) }).openapi('ExcessPaymentList')),
      403: problemResponse('Not an admin'),
    },
  },
} satisfies Record<string, RouteContract>;
