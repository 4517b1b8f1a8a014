import { currency, e164Phone, metadataMap, minorUnits } from '../../schemas.js';
import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { z } from '../../zod.js';
import { itemExcessPaymentsJson } from '../excess-payments/index.js';

const TRANSACTION_REF = /^[A-Za-z0-9._:-]{1,200}$/;
const transactionRef = z.string().regex(TRANSACTION_REF, 'letters, digits and . _ : - only (1-200)');
const amount = minorUnits(99_999_999);

const checkoutBody = z
  .object({
    transaction_ref: transactionRef,
    amount,
    currency,
    customer_email: z.email().max(320).optional(),
    customer_phone: e164Phone.optional(),
    metadata: metadataMap.optional(),
  })
  .strict()
  .openapi('CreateTransactionCheckoutSession');
const linkBody = z.object({ transaction_ref: transactionRef, amount, currency }).strict().openapi('CreateTransactionPaymentLink');

const sessionJson = z
  .object({ session_id: z.string(), payment_intent_id: z.string().nullable(), checkout_url: z.string().nullable(), expires_at: z.string() })
  .openapi('TransactionCheckoutSession');
const linkJson = z
  .object({ payment_link_id: z.string(), url: z.string(), product_id: z.string().nullable(), price_id: z.string().nullable() })
  .openapi('TransactionPaymentLink');
const sessionStatusJson = z
  .object({
    session_id: z.string(),
    status: z.string().nullable(),
    payment_status: z.string().nullable(),
    amount_total: z.number().int().nullable(),
    currency: z.string().nullable(),
    customer_email: z.string().nullable(),
    payment_intent_id: z.string().nullable(),
  })
  .openapi('CheckoutSessionStatus');
const transactionJson = z
  .object({
    transaction_ref: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(['open', 'paid', 'refunded']),
    customer_email: z.string().nullable(),
    customer_phone: z.string().nullable(),
    payment_link_url: z.string().nullable(),
    checkout_session_ids: z.array(z.string()),
    payments: z.array(
      z.object({
        payment_intent_id: z.string(),
        checkout_session_id: z.string().nullable(),
        status: z.enum(['succeeded', 'failed']),
        amount: z.number().int(),
        currency: z.string(),
        settled_transaction: z.boolean(),
        refund: z.object({ refund_id: z.string().nullable(), refund_status: z.string() }).nullable(),
      }),
    ),
    excess_payments: itemExcessPaymentsJson,
    recovery_campaign_id: z.string().nullable(),
  })
  .openapi('Transaction');

const writeResponses = (created: ReturnType<typeof jsonResponse>) => ({
  201: created,
  400: problemResponse('Invalid input'),
  403: problemResponse('Needs an API key or an admin user'),
  409: problemResponse('transaction_mismatch (the reference exists with another amount or currency) or transaction_paid'),
  502: problemResponse('Stripe refused the request'),
  503: problemResponse('Temporal unavailable; retry'),
});

export const contracts = {
  openCheckoutSession: {
    summary: "A transaction's Checkout Session (24 h): the open one, or a new one once it expired",
    body: checkoutBody,
    responses: writeResponses(jsonResponse('The open Checkout Session of the transaction', sessionJson)),
  },
  ensurePaymentLink: {
    summary: "A transaction's Payment Link (one completed payment), created once",
    body: linkBody,
    responses: writeResponses(jsonResponse('The Payment Link of the transaction', linkJson)),
  },
  sessionStatus: {
    summary: 'Status of a Checkout Session this tenant created, as Stripe reports it',
    params: z.object({ session_id: z.string().regex(/^cs_[A-Za-z0-9_]{1,200}$/, 'not a Checkout Session id') }),
    responses: {
      200: jsonResponse('The session', sessionStatusJson),
      404: problemResponse('Not a session of this tenant'),
      503: problemResponse('Stripe unavailable; retry'),
    },
  },
  transactionDetail: {
    summary: 'A transaction: status, its links and sessions, every payment and any refunded excess',
    params: z.object({ transaction_ref: transactionRef }),
    responses: { 200: jsonResponse('The transaction', transactionJson), 404: problemResponse('Unknown transaction') },
  },
} satisfies Record<string, RouteContract>;
