import { sql, type Selectable } from 'kysely';
import type { NewTransaction, TransactionCheckoutSession, TransactionPaymentEvent, TransactionPaymentOutcome, TransactionPaymentRecord, TransactionRecord } from '../domain/transaction/contracts.js';
import { toSafeInteger } from '../domain/money.js';
import { inTransaction } from './atomic.js';
import type { DbExecutor, TransactionTables } from './schema.js';

function toRecord(row: Selectable<TransactionTables['transactions']>): TransactionRecord {
  return {
    tenantId: row.tenant_id,
    ref: row.ref,
    amount: toSafeInteger(row.amount),
    currency: row.currency,
    status: row.status,
    customerEmail: row.customer_email,
    customerPhone: row.customer_phone,
    metadata: row.metadata ?? {},
    paymentLink:
      row.payment_link_id && row.payment_link_url
        ? { id: row.payment_link_id, url: row.payment_link_url, productId: row.product_id, priceId: row.price_id, active: row.payment_link_active !== false }
        : null,
    paidPaymentIntentId: row.paid_payment_intent_id,
    paidAmount: row.paid_amount === null ? null : toSafeInteger(row.paid_amount),
    paidAt: row.paid_at ? row.paid_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
  };
}

export async function findTransaction(db: DbExecutor, tenantId: string, ref: string): Promise<TransactionRecord | undefined> {
  const row = await db.selectFrom('transactions').selectAll().where('tenant_id', '=', tenantId).where('ref', '=', ref).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export type EnsureTransactionResult = { outcome: 'created' | 'existing'; transaction: TransactionRecord } | { outcome: 'mismatch'; transaction: TransactionRecord };

/**
 * Creates the transaction once per (tenant, ref). A repeat with the same amount and currency returns it (contact
 * details fill in what was missing); another amount or currency is a `mismatch`: the reference is taken.
 */
export async function ensureTransaction(db: DbExecutor, input: NewTransaction): Promise<EnsureTransactionResult> {
  const inserted = await db
    .insertInto('transactions')
    .values({
      tenant_id: input.tenantId,
      ref: input.ref,
      amount: input.amount,
      currency: input.currency,
      customer_email: input.customerEmail ?? null,
      customer_phone: input.customerPhone ?? null,
      metadata: JSON.stringify(input.metadata ?? {}),
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'ref']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { outcome: 'created', transaction: toRecord(inserted) };
  const existing = (await findTransaction(db, input.tenantId, input.ref))!;
  if (existing.amount !== input.amount || existing.currency !== input.currency) return { outcome: 'mismatch', transaction: existing };
  if ((!existing.customerEmail && input.customerEmail) || (!existing.customerPhone && input.customerPhone)) {
    const updated = await db
      .updateTable('transactions')
      .set({
        customer_email: sql`coalesce(customer_email, ${input.customerEmail ?? null})`,
        customer_phone: sql`coalesce(customer_phone, ${input.customerPhone ?? null})`,
        updated_at: new Date(),
      })
      .where('tenant_id', '=', input.tenantId)
      .where('ref', '=', input.ref)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { outcome: 'existing', transaction: toRecord(updated) };
  }
  return { outcome: 'existing', transaction: existing };
}

/** The first stored link wins: a concurrent creator gets the stored one back. */
export async function attachTransactionPaymentLink(
  db: DbExecutor,
  tenantId: string,
  ref: string,
  link: { id: string; url: string; productId: string; priceId: string },
): Promise<TransactionRecord> {
  await db
    .updateTable('transactions')
    .set({ payment_link_id: link.id, payment_link_url: link.url, product_id: link.productId, price_id: link.priceId, payment_link_active: true, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('ref', '=', ref)
    .where('payment_link_id', 'is', null)
    .execute();
  return (await findTransaction(db, tenantId, ref))!;
}

export async function setTransactionPaymentLinkActive(db: DbExecutor, tenantId: string, ref: string, active: boolean): Promise<void> {
  await db
    .updateTable('transactions')
    .set({ payment_link_active: active, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('ref', '=', ref)
    .execute();
}

function toSession(row: Selectable<TransactionTables['transaction_checkout_sessions']>): TransactionCheckoutSession {
  return {
    sessionId: row.session_id,
    transactionRef: row.transaction_ref,
    seq: row.seq,
    url: row.url,
    paymentIntentId: row.payment_intent_id,
    expiresAtMs: row.expires_at.getTime(),
  };
}

/** The newest session of the transaction, open or not. */
export async function latestCheckoutSession(db: DbExecutor, tenantId: string, ref: string): Promise<TransactionCheckoutSession | undefined> {
  const row = await db
    .selectFrom('transaction_checkout_sessions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('transaction_ref', '=', ref)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toSession(row) : undefined;
}

export async function findCheckoutSession(db: DbExecutor, tenantId: string, sessionId: string): Promise<TransactionCheckoutSession | undefined> {
  const row = await db
    .selectFrom('transaction_checkout_sessions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  return row ? toSession(row) : undefined;
}

export async function listCheckoutSessionIds(db: DbExecutor, tenantId: string, ref: string): Promise<string[]> {
  const rows = await db
    .selectFrom('transaction_checkout_sessions')
    .select('session_id')
    .where('tenant_id', '=', tenantId)
    .where('transaction_ref', '=', ref)
    .orderBy('seq')
    .execute();
  return rows.map((row) => row.session_id);
}

/** Stores a created session under its sequence number; the row already there (a retry) wins. */
export async function insertCheckoutSession(db: DbExecutor, tenantId: string, session: TransactionCheckoutSession): Promise<TransactionCheckoutSession> {
  await db
    .insertInto('transaction_checkout_sessions')
    .values({
      tenant_id: tenantId,
      session_id: session.sessionId,
      transaction_ref: session.transactionRef,
      seq: session.seq,
      url: session.url,
      payment_intent_id: session.paymentIntentId,
      expires_at: new Date(session.expiresAtMs),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await db
    .selectFrom('transaction_checkout_sessions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('transaction_ref', '=', session.transactionRef)
    .where('seq', '=', session.seq)
    .executeTakeFirstOrThrow();
  return toSession(row);
}

export async function listTransactionPayments(db: DbExecutor, tenantId: string, ref: string): Promise<TransactionPaymentRecord[]> {
  const rows = await db
    .selectFrom('transaction_payments')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('transaction_ref', '=', ref)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => ({
    paymentIntentId: row.payment_intent_id,
    checkoutSessionId: row.checkout_session_id,
    status: row.status,
    amount: toSafeInteger(row.amount),
    currency: row.currency,
    failureMessage: row.failure_message,
    createdAt: row.created_at.toISOString(),
  }));
}

/**
 * Records one payment event. Each PaymentIntent has one row (a failed one may later succeed); the transaction is
 * settled by its first succeeded PaymentIntent, under a row lock, so every later one is `excess`.
 */
export async function recordTransactionPayment(db: DbExecutor, tenantId: string, ref: string, event: TransactionPaymentEvent): Promise<TransactionPaymentOutcome> {
  return inTransaction(db, async (trx) => {
    const txn = await trx.selectFrom('transactions').selectAll().where('tenant_id', '=', tenantId).where('ref', '=', ref).forUpdate().executeTakeFirst();
    if (!txn) return 'unknown';
    const previous = await trx
      .selectFrom('transaction_payments')
      .select(['status', 'transaction_ref'])
      .where('tenant_id', '=', tenantId)
      .where('payment_intent_id', '=', event.paymentIntentId)
      .executeTakeFirst();
    // Already succeeded, or a repeated failure: nothing new happened to the money.
    if (previous && (previous.status === 'succeeded' || event.status === 'failed')) return 'duplicate';
    if (previous) {
      await trx
        .updateTable('transaction_payments')
        .set({ status: 'succeeded', amount: event.amount, currency: event.currency.toLowerCase(), failure_message: null, updated_at: new Date() })
        .where('tenant_id', '=', tenantId)
        .where('payment_intent_id', '=', event.paymentIntentId)
        .execute();
    } else {
      await trx
        .insertInto('transaction_payments')
        .values({
          tenant_id: tenantId,
          payment_intent_id: event.paymentIntentId,
          transaction_ref: ref,
          checkout_session_id: event.checkoutSessionId ?? null,
          status: event.status,
          amount: event.amount,
          currency: event.currency.toLowerCase(),
          failure_message: event.failureMessage ?? null,
        })
        .execute();
    }
    if (event.status === 'failed') return 'failed';
    if (txn.status !== 'open') return 'excess';
    await trx
      .updateTable('transactions')
      .set({ status: 'paid', paid_payment_intent_id: event.paymentIntentId, paid_amount: event.amount, paid_at: new Date(), updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('ref', '=', ref)
      .execute();
    return 'settled';
  });
}
