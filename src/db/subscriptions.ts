import { sql, type RawBuilder } from 'kysely';
import type { SubscriptionProjection, SubscriptionStatus } from '../domain/subscription/contracts.js';
import { STATUS_PHASE, STATUS_RANK } from '../domain/subscription/lifecycle.js';
import type { DbExecutor } from './schema.js';
import { toSafeInteger } from '../domain/money.js';

const fromUnix = (seconds: number | null): Date | null => (seconds === null ? null : new Date(seconds * 1000));
const toUnix = (date: Date | null): number | null => (date === null ? null : Math.floor(date.getTime() / 1000));

export interface SubscriptionRecord extends SubscriptionProjection {
  createdAt: string;
  updatedAt: string;
}

type SubscriptionRow = {
  tenant_id: string;
  id: string;
  account_id: string | null;
  customer_id: string | null;
  status: SubscriptionStatus;
  price_id: string | null;
  product_id: string | null;
  unit_amount: string | null;
  currency: string | null;
  interval: string | null;
  interval_count: number | null;
  quantity: number | null;
  current_period_start: Date | null;
  current_period_end: Date | null;
  cancel_at_period_end: boolean;
  canceled_at: Date | null;
  status_at: string;
  created_at: Date;
  updated_at: Date;
};

function toRecord(row: SubscriptionRow): SubscriptionRecord {
  return {
    tenantId: row.tenant_id,
    subscriptionId: row.id,
    accountId: row.account_id,
    customerId: row.customer_id,
    status: row.status,
    priceId: row.price_id,
    productId: row.product_id,
    unitAmount: row.unit_amount === null ? null : toSafeInteger(row.unit_amount),
    currency: row.currency,
    interval: row.interval,
    intervalCount: row.interval_count,
    quantity: row.quantity,
    currentPeriodStart: toUnix(row.current_period_start),
    currentPeriodEnd: toUnix(row.current_period_end),
    cancelAtPeriodEnd: row.cancel_at_period_end,
    canceledAt: toUnix(row.canceled_at),
    statusAt: Number(row.status_at),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** `case <status> when … end` from one of the lifecycle tables, so SQL and the workflow share one set of rules. */
function statusCase(column: string, table: Record<string, number>): RawBuilder<number> {
  const whens = Object.entries(table).map(([status, value]) => sql`when ${sql.lit(status)} then ${sql.lit(value)}`);
  return sql<number>`(case ${sql.ref(column)} ${sql.join(whens, sql` `)} else 1 end)`;
}

/**
 * Only the SubscriptionWorkflow writes this (one writer per subscription, in event order). The UPDATE's guard
 * makes a late write (an activity retry, a stale run) harmless too: the status never goes back to an earlier phase
 * (incomplete after live, anything after canceled), an older status_at never wins, and for the same second the
 * status earlier in the lifecycle never wins (workflows/subscription-lifecycle.ts).
 */
export async function upsertSubscription(db: DbExecutor, projection: SubscriptionProjection): Promise<void> {
  const values = {
    account_id: projection.accountId,
    customer_id: projection.customerId,
    status: projection.status,
    price_id: projection.priceId,
    product_id: projection.productId,
    unit_amount: projection.unitAmount,
    currency: projection.currency,
    interval: projection.interval,
    interval_count: projection.intervalCount,
    quantity: projection.quantity,
    current_period_start: fromUnix(projection.currentPeriodStart),
    current_period_end: fromUnix(projection.currentPeriodEnd),
    cancel_at_period_end: projection.cancelAtPeriodEnd,
    canceled_at: fromUnix(projection.canceledAt),
    status_at: projection.statusAt ?? 0,
  };
  const phase = (column: string) => statusCase(column, STATUS_PHASE);
  const rank = (column: string) => statusCase(column, STATUS_RANK);
  await db
    .insertInto('subscriptions')
    .values({ tenant_id: projection.tenantId, id: projection.subscriptionId, ...values })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'id'])
        .doUpdateSet({ ...values, updated_at: new Date() })
        .where(
          sql<boolean>`${phase('excluded.status')} >= ${phase('subscriptions.status')} and (
            excluded.status_at > subscriptions.status_at
            or (excluded.status_at = subscriptions.status_at and ${rank('excluded.status')} >= ${rank('subscriptions.status')})
          )`,
        ),
    )
    .execute();
}

export async function findSubscription(db: DbExecutor, tenantId: string, id: string): Promise<SubscriptionRecord | undefined> {
  const row = await db.selectFrom('subscriptions').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function listSubscriptions(
  db: DbExecutor,
  query: { tenantId: string; accountId?: string; status?: SubscriptionStatus; limit: number },
): Promise<SubscriptionRecord[]> {
  let builder = db.selectFrom('subscriptions').selectAll().where('tenant_id', '=', query.tenantId);
  if (query.accountId !== undefined) builder = builder.where('account_id', '=', query.accountId);
  if (query.status !== undefined) builder = builder.where('status', '=', query.status);
  const rows = await builder.orderBy('created_at', 'desc').orderBy('id').limit(query.limit).execute();
  return rows.map(toRecord);
}

/** Tenants that know this Stripe subscription (for invoices whose metadata names no tenant). */
export async function findSubscriptionTenants(db: DbExecutor, subscriptionId: string): Promise<string[]> {
  const rows = await db.selectFrom('subscriptions').select('tenant_id').where('id', '=', subscriptionId).limit(2).execute();
  return rows.map((row) => row.tenant_id);
}

export interface CycleRecord {
  invoiceId: string;
  status: 'paid' | 'failed';
  creditsGranted: number;
  currency: string | null;
}

export async function findCycle(db: DbExecutor, tenantId: string, invoiceId: string): Promise<CycleRecord | undefined> {
  const row = await db
    .selectFrom('subscription_cycles')
    .select(['invoice_id', 'status', 'credits_granted', 'currency'])
    .where('tenant_id', '=', tenantId)
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirst();
  return row ? { invoiceId: row.invoice_id, status: row.status, creditsGranted: toSafeInteger(row.credits_granted), currency: row.currency } : undefined;
}

export interface CycleInput {
  tenantId: string;
  subscriptionId: string;
  invoiceId: string;
  priceId: string | null;
  amountPaid: number;
  currency: string | null;
  periodStart: number | null;
  periodEnd: number | null;
}

/** A paid invoice is a cycle; it replaces an earlier 'failed' row for the same invoice and is never undone. */
export async function recordPaidCycle(db: DbExecutor, cycle: CycleInput & { creditsGranted: number }): Promise<void> {
  await db
    .insertInto('subscription_cycles')
    .values({
      tenant_id: cycle.tenantId,
      invoice_id: cycle.invoiceId,
      subscription_id: cycle.subscriptionId,
      status: 'paid',
      price_id: cycle.priceId,
      amount_paid: cycle.amountPaid,
      currency: cycle.currency,
      credits_granted: cycle.creditsGranted,
      period_start: fromUnix(cycle.periodStart),
      period_end: fromUnix(cycle.periodEnd),
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'invoice_id'])
        .doUpdateSet((eb) => ({
          status: 'paid' as const,
          amount_paid: eb.ref('excluded.amount_paid'),
          credits_granted: eb.ref('excluded.credits_granted'),
          currency: eb.ref('excluded.currency'),
          updated_at: new Date(),
        }))
        .where('subscription_cycles.status', '<>', 'paid'),
    )
    .execute();
}

export async function recordFailedInvoice(db: DbExecutor, cycle: CycleInput): Promise<void> {
  await db
    .insertInto('subscription_cycles')
    .values({
      tenant_id: cycle.tenantId,
      invoice_id: cycle.invoiceId,
      subscription_id: cycle.subscriptionId,
      status: 'failed',
      price_id: cycle.priceId,
      amount_paid: 0,
      currency: cycle.currency,
      credits_granted: 0,
      period_start: fromUnix(cycle.periodStart),
      period_end: fromUnix(cycle.periodEnd),
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'invoice_id']).doNothing())
    .execute();
}

export interface CycleSummary {
  cycles: number;
  failedInvoices: number;
  creditsGranted: Array<{ currency: string; credits: number }>;
  lastPaidAt: string | null;
}

export async function summarizeCycles(db: DbExecutor, tenantId: string, subscriptionId: string): Promise<CycleSummary> {
  const rows = await db
    .selectFrom('subscription_cycles')
    .select((eb) => [
      'status',
      'currency',
      eb.fn.countAll<string>().as('count'),
      sql<string>`coalesce(sum(credits_granted), 0)`.as('credits'),
      eb.fn.max('updated_at').as('last_at'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('subscription_id', '=', subscriptionId)
    .groupBy(['status', 'currency'])
    .execute();
  let cycles = 0;
  let failedInvoices = 0;
  let lastPaidAt: Date | null = null;
  const credits = new Map<string, number>();
  for (const row of rows) {
    if (row.status === 'failed') {
      failedInvoices += Number(row.count);
      continue;
    }
    cycles += Number(row.count);
    const granted = toSafeInteger(row.credits);
    if (row.currency && granted > 0) credits.set(row.currency, (credits.get(row.currency) ?? 0) + granted);
    const last = row.last_at as Date | null;
    if (last && (!lastPaidAt || last > lastPaidAt)) lastPaidAt = last;
  }
  return {
    cycles,
    failedInvoices,
    creditsGranted: [...credits].map(([currency, amount]) => ({ currency, credits: amount })),
    lastPaidAt: lastPaidAt?.toISOString() ?? null,
  };
}
