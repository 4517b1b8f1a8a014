import { checkoutReturnUrlFields } from '../../origin.js';
import { currency, idempotencyHeaders, minorUnits, pageLimit, text, walletAccountId } from '../../schemas.js';
import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { z } from '../../zod.js';

const amount = minorUnits();
const replayHeaders = idempotencyHeaders('Replays with the same key return the original result.');

const topUpMode = z
  .enum(['checkout', 'payment_intent'])
  .optional()
  .openapi({
    description:
      '`checkout` (the default): a hosted Checkout Session to redirect to. `payment_intent`: a PaymentIntent whose client_secret ' +
      'Stripe Elements confirms in the page (no Origin needed: the return URL is the page\'s own).',
  });
const topUpBody = z.object({ amount, currency, account_id: walletAccountId, mode: topUpMode, ...checkoutReturnUrlFields }).strict().openapi('CreateTopUp');
const topUpCheckout = z
  .object({ id: z.string(), url: z.string(), checkout_session_id: z.string(), expires_at: z.number().int().nullable() })
  .openapi('TopUpCheckout');
const topUpPaymentIntent = z
  .object({ id: z.string(), client_secret: z.string(), payment_intent_id: z.string() })
  .openapi('TopUpPaymentIntent', { description: 'Confirm client_secret with Stripe Elements; payment_intent.succeeded credits amount_received.' });
const topUpResponse = z.union([topUpCheckout, topUpPaymentIntent]);
const minor = (description: string) => z.number().int().openapi({ description });
const topUpCurrencyOptions = z
  .object({
    currency: z.string().openapi({ example: 'usd' }),
    exponent: z.number().int().openapi({ description: 'Decimal places of the major unit: 2 for USD, 0 for JPY, 3 for KWD.', example: 2 }),
    min: minor('Smallest amount, in minor units (Stripe\'s minimum charge).'),
    max: minor('Largest amount, in minor units (TOPUP_MAX_AMOUNT major units).'),
    presets: z.array(z.number().int()).openapi({
      description:
        'The only amounts accepted, ascending, in minor units (TOPUP_PRESET_AMOUNTS=0.50,10 gives 50 and 1000 for USD); ' +
        'empty means any amount from min to max. Display amount / 10^exponent.',
      example: [50, 1000, 2500],
    }),
  })
  .openapi('TopUpCurrencyOptions');
const topUpOptionsResponse = z.object({ data: z.array(topUpCurrencyOptions) }).openapi('TopUpOptions');
const topUpStatus = z
  .object({
    id: z.string(),
    account_id: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(['pending', 'processing', 'credited', 'expired', 'failed']),
    credited_amount: z.number().int().nullable(),
  })
  .openapi('TopUp');
const ledgerEntry = z
  .object({
    id: z.string(),
    account_id: z.string(),
    currency: z.string(),
    kind: z.enum(['top_up', 'spend', 'grant', 'subscription_cycle']),
    amount: z.number().int(),
    balance_after: z.number().int(),
    description: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('LedgerEntry');
const balanceResponse = z
  .object({ account_id: z.string(), balances: z.array(z.object({ currency: z.string(), balance: z.number().int() })) })
  .openapi('Balances');
const ledgerPage = z.object({ data: z.array(ledgerEntry), next_cursor: z.string().nullable() }).openapi('LedgerPage');
const spendBody = z
  .object({ amount, currency, description: text({ max: 500, trim: true }).optional(), account_id: walletAccountId })
  .strict()
  .openapi('Spend');
const grantBody = z
  .object({ amount, currency, reason: text({ min: 1, max: 500, trim: true }), account_id: text({ min: 1, max: 200 }) })
  .strict()
  .openapi('Grant');
const entryResponse = z.object({ entry: ledgerEntry, replayed: z.boolean() }).openapi('LedgerWrite');

export const contracts = {
  topUpOptions: {
    summary: 'Top-up amounts per currency: limits and presets, in minor units',
    query: z.object({ currency: currency.optional() }),
    responses: { 200: jsonResponse('One entry per currency a top-up may be paid in', topUpOptionsResponse) },
  },
  startTopUp: {
    summary: 'Start a credit top-up: a Stripe Checkout URL, or with mode payment_intent a client_secret for Elements',
    body: topUpBody,
    headers: replayHeaders,
    idempotent: true,
    responses: {
      201: jsonResponse('Checkout Session or PaymentIntent created (or the existing one for this Idempotency-Key)', topUpResponse),
      400: problemResponse('Invalid amount or currency'),
      403: problemResponse('Checkout only: origin_not_allowed, origin_required or return_url_not_allowed'),
      409: problemResponse('This top-up already finished, or was started in the other mode'),
      503: problemResponse('Temporal unavailable; retry with the same Idempotency-Key'),
    },
  },
  getTopUp: {
    summary: 'A top-up and its status',
    params: z.object({ id: z.string().regex(/^tu_[0-9a-f]{32}$/, 'not a top-up id') }),
    responses: { 200: jsonResponse('The top-up', topUpStatus), 404: problemResponse('Unknown top-up') },
  },
  getBalance: {
    summary: 'Credit balance per currency, in minor units',
    query: z.object({ account_id: walletAccountId }),
    responses: { 200: jsonResponse('Balances', balanceResponse) },
  },
  listLedger: {
    summary: 'Ledger entries, newest first, cursor-paginated',
    query: z.object({
      account_id: walletAccountId,
      limit: pageLimit(25),
      cursor: z.string().regex(/^\d{1,19}$/, 'not a cursor from this API').optional(),
    }),
    responses: { 200: jsonResponse('A page of entries', ledgerPage) },
  },
  spend: {
    summary: 'Spend credits; never below zero',
    body: spendBody,
    headers: replayHeaders,
    idempotent: true,
    responses: {
      201: jsonResponse('Spent', entryResponse),
      200: jsonResponse('Replay of an earlier request with the same Idempotency-Key', entryResponse),
      409: problemResponse('Insufficient balance'),
      422: problemResponse('Idempotency-Key reused with different parameters'),
    },
  },
  grant: {
    summary: 'Grant credits to a wallet (admin)',
    body: grantBody,
    headers: replayHeaders,
    idempotent: true,
    responses: {
      201: jsonResponse('Granted', entryResponse),
      200: jsonResponse('Replay of an earlier request with the same Idempotency-Key', entryResponse),
      403: problemResponse('Not an admin'),
      422: problemResponse('Idempotency-Key reused with different parameters'),
    },
  },
} satisfies Record<string, RouteContract>;
