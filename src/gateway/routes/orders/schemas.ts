import { currency, idempotencyHeaders, minorUnits, text } from '../../schemas.js';
import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { z } from '../../zod.js';
import { itemExcessPaymentsJson } from '../excess-payments/index.js';

/** Stripe's maximum charge is eight digits in minor units for most currencies. */
const STRIPE_MAXIMUM_AMOUNT = 99_999_999;

const amount = minorUnits(STRIPE_MAXIMUM_AMOUNT);
const orderId = z
  .string()
  .regex(/^(u\.[0-9a-f]{16}\.)?[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64')
  .openapi({ description: "The order id. End users use their own ids; back office also addresses end users' orders by internal id (u.<16 hex>.<id>)." });

const paymentIntentBody = z
  .object({
    amount: amount.openapi({ description: 'Minor units of the currency (cents; yen for JPY; fils for KWD).' }),
    currency,
    receipt_email: z.email().max(320).optional(),
    description: text({ max: 1000, trim: true }).optional(),
  })
  .strict()
  .openapi('CreateOrderPaymentIntent');
const paymentIntentResponse = z
  .object({ id: z.string(), client_secret: z.string(), order_id: z.string(), attempt: z.number().int(), amount: z.number().int(), currency: z.string() })
  .openapi('OrderPaymentIntent');
const refundBody = z
  .object({
    amount: amount.optional().openapi({ description: 'Omit to refund everything that remains.' }),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer', 'other']),
    note: text({ max: 500, trim: true }).optional(),
  })
  .strict()
  .openapi('CreateRefund');
const refundJson = z
  .object({
    id: z.string(),
    order_id: z.string(),
    payment_id: z.string(),
    amount: z.number().int(),
    amount_display: z.string(),
    currency: z.string(),
    reason: z.string(),
    note: z.string().nullable(),
    status: z.enum(['pending', 'requires_action', 'succeeded', 'failed', 'canceled']),
    stripe_refund_id: z.string().nullable(),
    failure_reason: z.string().nullable(),
  })
  .openapi('Refund');
const orderJson = z
  .object({
    id: z.string(),
    status: z.string(),
    amount: z.number().int(),
    amount_display: z.string(),
    currency: z.string(),
    currency_exponent: z.number().int(),
    captured_amount: z.number().int(),
    refunded_amount: z.number().int(),
    refundable_amount: z.number().int(),
    payment_id: z.string().nullable(),
    paid_at: z.string().nullable(),
    attempts: z.array(z.object({ attempt: z.number().int(), payment_intent_id: z.string(), status: z.string(), amount_received: z.number().int().nullable(), failure_message: z.string().nullable() })),
    refunds: z.array(refundJson),
    owner_id: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "Back office only: the end user (JWT subject) the order belongs to; null for the tenant's own orders." }),
  })
  .openapi('Order');
const orderDetailJson = orderJson.extend({ excess_payments: itemExcessPaymentsJson }).openapi('OrderDetail');

export const contracts = {
  getPaymentsConfig: {
    summary: 'Stripe publishable key for Stripe.js / Elements',
    responses: {
      200: jsonResponse('Publishable key', z.object({ publishable_key: z.string() }).openapi('PaymentsConfig')),
      503: problemResponse('STRIPE_PUBLISHABLE_KEY is not configured'),
    },
  },
  createPaymentIntent: {
    summary: 'Create (or return the open) PaymentIntent for an order',
    params: z.object({ order_id: orderId }),
    body: paymentIntentBody,
    responses: {
      201: jsonResponse('The PaymentIntent of the open attempt', paymentIntentResponse),
      400: problemResponse('Invalid amount or currency'),
      404: problemResponse("Another user's order, or (back office) an end user's order that does not exist"),
      409: problemResponse('Order already paid, or created with another amount'),
      502: problemResponse('Stripe refused'),
    },
  },
  confirmPayment: {
    summary: 'Re-check the PaymentIntent with Stripe and record the result',
    params: z.object({ order_id: orderId }),
    responses: { 200: jsonResponse('The order', orderJson), 404: problemResponse('Unknown order'), 409: problemResponse('No PaymentIntent yet') },
  },
  getOrder: {
    summary: 'An order with its payment attempts and refunds',
    params: z.object({ order_id: orderId }),
    responses: { 200: jsonResponse('The order', orderDetailJson), 404: problemResponse('Unknown order') },
  },
  refundPayment: {
    summary: 'Refund a payment (the PaymentIntent id that paid an order), fully or partially',
    params: z.object({ id: z.string().regex(/^pi_[A-Za-z0-9_]{1,250}$/, 'not a PaymentIntent id') }),
    body: refundBody,
    headers: idempotencyHeaders('Replays with the same key return the original result; another request with it answers 422.'),
    idempotent: true,
    responses: {
      201: jsonResponse('Refund created', refundJson),
      200: jsonResponse('Replay of an earlier request with the same Idempotency-Key', refundJson),
      404: problemResponse('Unknown payment'),
      409: problemResponse('refund_exceeds_remaining or payment_not_refundable'),
      502: problemResponse('refund_failed: Stripe refused the refund (nothing was reserved)'),
    },
  },
} satisfies Record<string, RouteContract>;
