import type Stripe from 'stripe';
import { z } from 'zod';
import type { WebhookContext, WebhookOutcome } from './types.js';

/**
 * Shapes of the fields each webhook handler reads, checked before the database or Temporal is touched: a signed
 * but malformed event is acknowledged (2xx, `ignored`, reason `malformed …`) instead of answering 5xx for three
 * days of Stripe retries, and no workflow is ever signalled with a payload it cannot apply (a NUL byte PostgreSQL
 * refuses, a fractional amount, a string too long for a workflow id). Objects are loose: unknown fields pass
 * through untouched, so a snapshot function given the parsed object sees what Stripe sent.
 */

/** NUL (PostgreSQL text refuses it) or half of a UTF-16 surrogate pair (not encodable as UTF-8). */
function isUnstorable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0) return true;
    if (code >= 0xdc00 && code <= 0xdfff) return true;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    }
  }
  return false;
}
/** Control characters, besides: never part of an id or of a reference we put in a workflow id. */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Free text that may be stored: bounded, no NUL, no unpaired surrogate. */
export const text = (max: number) => z.string().max(max).refine((value) => !isUnstorable(value), 'contains NUL or an unpaired surrogate');

/** A Stripe object id (cs_…, pi_…, in_…): printable ASCII without spaces. */
export const stripeId = z.string().regex(/^[\x21-\x7E]{1,255}$/, 'not a Stripe id');
/** A field Stripe sends as an id or, when expanded, as the object. */
export const expandable = z.union([stripeId, z.looseObject({ id: stripeId })]);
export const idOf = (value: string | { id: string } | null | undefined): string | undefined => (value == null ? undefined : typeof value === 'string' ? value : value.id);

/** One of our references in metadata (tenant, top-up, order, invoice, campaign…): it ends up in workflow ids. */
export const ref = z
  .string()
  .min(1)
  .max(200)
  .refine((value) => !hasControl(value) && !isUnstorable(value), 'contains control characters or an unpaired surrogate');
/** An optional metadata reference: absent or empty means "not given" to the handlers. */
export const optionalRef = z.union([z.literal(''), ref]).optional();
/** A metadata value we only compare (purpose, item_kind): Stripe caps metadata values at 500 characters. */
export const metadataValue = z.string().max(500).optional();

const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;
/** Minor units, as Stripe sends them: a non-negative integer. */
export const amount = z.number().int().min(0).max(MAX_AMOUNT);
/** Invoice lines may be credits (negative). */
export const signedAmount = z.number().int().min(-MAX_AMOUNT).max(MAX_AMOUNT);
/** Counts stored in PostgreSQL integer columns (quantities, attempts, intervals). */
export const count = z.number().int().min(0).max(2_147_483_647);
/** Unix seconds, within what a Date and PostgreSQL timestamptz hold. */
export const timestamp = z.number().int().min(0).max(253_402_300_799);
/** ISO 4217, lower-cased as every table stores it. */
export const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'not a currency code')
  .transform((code) => code.toLowerCase());
/** A lower-case word from Stripe's enumerations (status, payment_status, billing_reason…). */
export const stripeWord = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'not a Stripe enumeration value');

export const checkoutPaymentStatus = z.enum(['paid', 'unpaid', 'no_payment_required']);

/**
 * The payment fields of a Checkout Session. A paid session always carries its amount and currency: one without
 * them would credit or settle 0 of currency ''.
 */
export const checkoutPaymentFields = {
  id: stripeId,
  payment_intent: expandable.nullish(),
  payment_status: checkoutPaymentStatus,
  amount_total: amount.nullish(),
  currency: currency.nullish(),
};
export const checkoutPayment = z
  .looseObject(checkoutPaymentFields)
  .superRefine((session, issues) => {
    if (session.payment_status === 'unpaid') return;
    if (session.amount_total == null) issues.addIssue({ code: 'custom', path: ['amount_total'], message: 'a paid session has an amount' });
    if (session.currency == null) issues.addIssue({ code: 'custom', path: ['currency'], message: 'a paid session has a currency' });
  });
export type CheckoutPayment = z.output<typeof checkoutPayment>;

export const paymentError = z.looseObject({ message: text(5000).nullish() }).nullish();

const invoiceLine = z.looseObject({
  id: stripeId.nullish(),
  description: text(5000).nullish(),
  quantity: count.nullish(),
  amount: signedAmount,
  period: z.looseObject({ start: timestamp.nullish(), end: timestamp.nullish() }).nullish(),
  pricing: z.looseObject({ price_details: z.looseObject({ price: expandable.nullish() }).nullish() }).nullish(),
});

/** Every field invoiceSnapshotFrom (invoice workflow) and invoiceSnapshot (subscription workflow) read. */
export const invoiceShape = z.looseObject({
  id: stripeId.nullish(),
  metadata: z.looseObject({ tenant_id: optionalRef }).nullish(),
  status: stripeWord.nullish(),
  status_transitions: z
    .looseObject({
      finalized_at: timestamp.nullish(),
      paid_at: timestamp.nullish(),
      voided_at: timestamp.nullish(),
      marked_uncollectible_at: timestamp.nullish(),
    })
    .nullish(),
  created: timestamp,
  amount_due: amount.nullish(),
  amount_paid: amount.nullish(),
  currency: currency.nullish(),
  due_date: timestamp.nullish(),
  customer: z.union([stripeId, z.looseObject({ id: stripeId, email: text(512).nullish(), name: text(512).nullish() })]).nullish(),
  customer_email: text(512).nullish(),
  customer_name: text(512).nullish(),
  customer_phone: text(64).nullish(),
  description: text(5000).nullish(),
  parent: z
    .looseObject({
      subscription_details: z
        .looseObject({
          subscription: expandable.nullish(),
          metadata: z.looseObject({ tenant_id: optionalRef, account_id: optionalRef }).nullish(),
        })
        .nullish(),
    })
    .nullish(),
  attempt_count: count.nullish(),
  billing_reason: stripeWord.nullish(),
  period_start: timestamp.nullish(),
  period_end: timestamp.nullish(),
  lines: z.looseObject({ data: z.array(invoiceLine).max(1000) }).nullish(),
});

/**
 * The envelope dispatch.ts checks before choosing a handler. Only the verdict is used (handlers get the event
 * itself), so unknown keys are stripped, not copied: a loose copy of every event was ~10 µs per webhook.
 */
export const eventEnvelope = z.object({
  id: stripeId,
  type: z.string().regex(/^[a-z0-9_.]{1,128}$/, 'not a Stripe event type'),
  created: timestamp,
  account: stripeId.nullish(),
  data: z.object({ object: z.object({}) }),
});

const safeLogValue = (value: unknown): string | undefined =>
  typeof value === 'string' && /^[\x21-\x7E]{1,255}$/.test(value) ? value : undefined;

/** Field paths only (never the values, which may be personal data), a few of them. */
function issuePaths(error: z.ZodError): string[] {
  const paths = error.issues.map((issue) => issue.path.map(String).join('.') || '(root)');
  return [...new Set(paths)].slice(0, 5).map((path) => path.slice(0, 100));
}

export type Parsed<T> = { ok: true; data: T } | { ok: false; outcome: WebhookOutcome };

/**
 * Parses `value` with `schema`; on failure logs a warning naming the event and the failing field paths (ids and
 * types only) and answers the `ignored` outcome to acknowledge the event.
 */
export function parseShape<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  event: Pick<Stripe.Event, 'id' | 'type'>,
  log: WebhookContext['log'],
): Parsed<z.output<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, data: result.data };
  const fields = issuePaths(result.error);
  log.warn(
    { eventId: safeLogValue(event.id), type: safeLogValue(event.type), what, fields },
    'malformed Stripe event acknowledged and ignored',
  );
  return { ok: false, outcome: { status: 'ignored', reason: `malformed ${what}: ${fields.join(', ')}` } };
}

/** Truncates on a code point boundary, so no surrogate pair is cut in half. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.slice(0, max);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut;
}
