import { sql, type Selectable } from 'kysely';
import type { CampaignSnapshot, CampaignStatus, NewCampaignRecord, PaidVia, RecoveryItemKind, RecoveryMessageRecord } from '../domain/recovery/contracts.js';
import { toSafeInteger } from '../domain/money.js';
import { DEFAULT_SCHEDULE, type RecoverySchedule } from '../domain/recovery/schedule.js';
import { recoveryScheduleSchema } from '../recovery/schedule.js';
import type { DbExecutor, RecoveryTables } from './schema.js';

type CampaignRow = Selectable<RecoveryTables['recovery_campaigns']>;

export interface CampaignRecord {
  tenantId: string;
  id: string;
  itemKind: RecoveryItemKind;
  itemRef: string;
  amount: number;
  currency: string;
  customerEmail: string | null;
  customerPhone: string | null;
  customerTimeZone: string | null;
  customerId: string | null;
  status: CampaignStatus;
  attempts: number;
  nextStepAt: string | null;
  recoveredAmount: number | null;
  paidAt: string | null;
  paidVia: PaidVia | null;
  messages: RecoveryMessageRecord[];
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

function toRecord(row: CampaignRow): CampaignRecord {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    itemKind: row.item_kind,
    itemRef: row.item_ref,
    amount: toSafeInteger(row.amount),
    currency: row.currency,
    customerEmail: row.customer_email,
    customerPhone: row.customer_phone,
    customerTimeZone: row.customer_time_zone,
    customerId: row.customer_id,
    status: row.status,
    attempts: row.attempts,
    nextStepAt: row.next_step_at ? row.next_step_at.toISOString() : null,
    recoveredAmount: row.recovered_amount === null ? null : toSafeInteger(row.recovered_amount),
    paidAt: row.paid_at ? row.paid_at.toISOString() : null,
    paidVia: row.paid_via,
    messages: row.messages ?? [],
    metadata: row.metadata ?? {},
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Statuses a campaign row never leaves. `exhausted` may still turn `paid` (a late payment inside the campaign). */
export const FINAL_CAMPAIGN_STATUSES: readonly CampaignStatus[] = ['paid', 'cancelled', 'expired'];

/** The columns a new campaign row is written with. */
function campaignRow(campaign: NewCampaignRecord) {
  return {
    tenant_id: campaign.tenantId,
    id: campaign.campaignId,
    item_kind: campaign.item.kind,
    item_ref: campaign.item.ref,
    amount: campaign.amount,
    currency: campaign.currency,
    customer_email: campaign.customer.email ?? null,
    customer_phone: campaign.customer.phone ?? null,
    customer_time_zone: campaign.customer.timeZone ?? null,
    customer_id: campaign.customer.id ?? null,
    metadata: JSON.stringify(campaign.metadata),
  };
}

/** Inserts the campaign once; a second call (activity retry, restart) keeps the first row. */
export async function insertCampaign(db: DbExecutor, campaign: NewCampaignRecord): Promise<{ created: boolean; campaign: CampaignRecord }> {
  const inserted = await db
    .insertInto('recovery_campaigns')
    .values(campaignRow(campaign))
    .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { created: true, campaign: toRecord(inserted) };
  const existing = await findCampaign(db, campaign.tenantId, campaign.campaignId);
  if (!existing) throw new Error(`recovery campaign ${campaign.campaignId} vanished`);
  return { created: false, campaign: existing };
}

/**
 * Many campaigns in one statement (imports, seeding): the rows insertCampaign writes; ids already present keep
 * their first row. `createdAt` backdates a campaign (and its updated_at); without it, now(). Returns how many were created.
 */
export async function insertCampaigns(db: DbExecutor, campaigns: ReadonlyArray<NewCampaignRecord & { createdAt?: Date }>): Promise<number> {
  if (campaigns.length === 0) return 0;
  const inserted = await db
    .insertInto('recovery_campaigns')
    .values(
      campaigns.map((campaign) => ({
        ...campaignRow(campaign),
        ...(campaign.createdAt ? { created_at: campaign.createdAt, updated_at: campaign.createdAt } : {}),
      })),
    )
    .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0);
}

/**
 * Writes the workflow's view of the campaign. Final statuses never change again (a stale write cannot reopen a
 * paid or cancelled campaign); the workflow serialises its own writes.
 */
export async function updateCampaign(db: DbExecutor, snapshot: CampaignSnapshot): Promise<boolean> {
  const result = await db
    .updateTable('recovery_campaigns')
    .set({
      status: snapshot.status,
      attempts: snapshot.attempts,
      next_step_at: snapshot.nextStepAtMs === null ? null : new Date(snapshot.nextStepAtMs),
      paid_at: snapshot.paidAtMs === null ? null : new Date(snapshot.paidAtMs),
      paid_via: snapshot.paidVia,
      recovered_amount: snapshot.recoveredAmount,
      messages: JSON.stringify(snapshot.messages),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', snapshot.tenantId)
    .where('id', '=', snapshot.campaignId)
    .where((eb) => eb.or([eb('status', 'not in', FINAL_CAMPAIGN_STATUSES), eb('status', '=', snapshot.status)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function findCampaign(db: DbExecutor, tenantId: string, id: string): Promise<CampaignRecord | undefined> {
  const row = await db
    .selectFrom('recovery_campaigns')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export interface ListCampaignsQuery {
  tenantId: string;
  status?: CampaignStatus;
  /** Matches the customer email (case-insensitive), phone or customer id. */
  customer?: string;
  limit: number;
  /** Exclusive: campaigns created before this one (created_at, id) in newest-first order. */
  after?: { createdAt: string; id: string };
}

export async function listCampaigns(db: DbExecutor, query: ListCampaignsQuery): Promise<CampaignRecord[]> {
  let builder = db.selectFrom('recovery_campaigns').selectAll().where('tenant_id', '=', query.tenantId);
  if (query.status) builder = builder.where('status', '=', query.status);
  if (query.customer) {
    const customer = query.customer;
    builder = builder.where((eb) =>
      eb.or([eb(eb.fn('lower', ['customer_email']), '=', customer.toLowerCase()), eb('customer_phone', '=', customer), eb('customer_id', '=', customer)]),
    );
  }
  if (query.after) {
    const after = query.after;
    builder = builder.where(sql<boolean>`(created_at, id) < (${new Date(after.createdAt)}, ${after.id})`);
  }
  const rows = await builder.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
  return rows.map(toRecord);
}

/**
 * Whether a message about this campaign must no longer go out: the campaign is final, or the item it chases
 * is paid (or gone) in its own table. Read right before every send.
 */
export async function isCampaignItemSettled(db: DbExecutor, tenantId: string, campaignId: string): Promise<boolean> {
  const campaign = await findCampaign(db, tenantId, campaignId);
  if (!campaign) return false;
  if (campaign.status === 'paid' || campaign.status === 'cancelled' || campaign.status === 'expired') return true;
  if (campaign.itemKind === 'invoice' || campaign.itemKind === 'subscription_invoice') {
    const invoice = await sql<{ status: string }>`select status from invoices where tenant_id = ${tenantId} and id = ${campaign.itemRef}`.execute(db);
    const status = invoice.rows[0]?.status;
    return status === 'paid' || status === 'cancelled';
  }
  if (campaign.itemKind === 'order') {
    const order = await sql<{ status: string }>`select status from orders where tenant_id = ${tenantId} and id = ${campaign.itemRef}`.execute(db);
    const status = order.rows[0]?.status;
    return status === 'paid' || status === 'partially_refunded' || status === 'refunded' || status === 'canceled';
  }
  if (campaign.itemKind === 'transaction') {
    const txn = await sql<{ status: string }>`select status from transactions where tenant_id = ${tenantId} and ref = ${campaign.itemRef}`.execute(db);
    const status = txn.rows[0]?.status;
    return status === 'paid' || status === 'refunded';
  }
  return false;
}

/** The tenant's schedule, or the default. A stored schedule that no longer validates falls back to the default. */
export async function findRecoverySchedule(db: DbExecutor, tenantId: string): Promise<{ schedule: RecoverySchedule; custom: boolean; updatedAt: string | null }> {
  const row = await db.selectFrom('recovery_schedules').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row) return { schedule: DEFAULT_SCHEDULE, custom: false, updatedAt: null };
  const parsed = recoveryScheduleSchema.safeParse({
    steps: row.schedule.steps,
    quietHours: row.quiet_hours_start && row.quiet_hours_end ? { start: row.quiet_hours_start, end: row.quiet_hours_end } : null,
    maxAttempts: row.max_attempts,
    expiryDays: row.expiry_days,
  });
  if (!parsed.success) return { schedule: DEFAULT_SCHEDULE, custom: false, updatedAt: row.updated_at.toISOString() };
  return { schedule: parsed.data, custom: true, updatedAt: row.updated_at.toISOString() };
}

export async function saveRecoverySchedule(db: DbExecutor, tenantId: string, input: RecoverySchedule): Promise<RecoverySchedule> {
  const schedule = recoveryScheduleSchema.parse(input);
  const values = {
    schedule: JSON.stringify({ steps: schedule.steps }),
    quiet_hours_start: schedule.quietHours?.start ?? null,
    quiet_hours_end: schedule.quietHours?.end ?? null,
    max_attempts: schedule.maxAttempts,
    expiry_days: schedule.expiryDays,
    updated_at: new Date(),
  };
  await db
    .insertInto('recovery_schedules')
    .values({ tenant_id: tenantId, ...values })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
    .execute();
  return schedule;
}

export interface RecoveryStats {
  currency: string;
  campaigns: number;
  paid: number;
  /** paid / finished campaigns (paid, cancelled, expired, exhausted); null when none finished. */
  recoveryRate: number | null;
  amountChased: number;
  amountRecovered: number;
}

/** For the financial summary: campaigns created in [from, to), per currency. */
export async function recoveryStats(db: DbExecutor, tenantId: string, range: { from: Date; to: Date }): Promise<RecoveryStats[]> {
  const rows = await db
    .selectFrom('recovery_campaigns')
    .select((eb) => [
      'currency',
      eb.fn.countAll<string>().as('campaigns'),
      sql<string>`count(*) filter (where status = 'paid')`.as('paid'),
      sql<string>`count(*) filter (where status in ('paid', 'cancelled', 'expired', 'exhausted'))`.as('finished'),
      sql<string>`coalesce(sum(amount), 0)`.as('amount_chased'),
      sql<string>`coalesce(sum(recovered_amount) filter (where status = 'paid'), 0)`.as('amount_recovered'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('created_at', '>=', range.from)
    .where('created_at', '<', range.to)
    .groupBy('currency')
    .orderBy('currency')
    .execute();
  return rows.map((row) => {
    const finished = Number(row.finished);
    return {
      currency: row.currency,
      campaigns: Number(row.campaigns),
      paid: Number(row.paid),
      recoveryRate: finished > 0 ? Number(row.paid) / finished : null,
      amountChased: toSafeInteger(row.amount_chased),
      amountRecovered: toSafeInteger(row.amount_recovered),
    };
  });
}

/**
 * Records a payment for the campaign before anything signals its workflow, so the send path, which re-reads
 * this row before every message, sends nothing from this moment on. Returns false for an unknown or final one.
 */
export async function recordCampaignPaid(
  db: DbExecutor,
  payment: { tenantId: string; campaignId: string; amount: number; paidAt: Date; via: PaidVia },
): Promise<boolean> {
  const result = await db
    .updateTable('recovery_campaigns')
    .set({ status: 'paid', paid_at: payment.paidAt, paid_via: payment.via, recovered_amount: payment.amount, next_step_at: null, updated_at: new Date() })
    .where('tenant_id', '=', payment.tenantId)
    .where('id', '=', payment.campaignId)
    .where('status', 'not in', FINAL_CAMPAIGN_STATUSES)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
