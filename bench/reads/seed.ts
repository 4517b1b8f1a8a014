/**
 * Seeds one database for the reads bench through the repositories' own batched insert paths: tenants, invoice
 * clients, the credit ledger (its trigger moves every balance), manual invoices with their lines, and recovery
 * campaigns. Then applies the lifecycle in bulk (paid, void, overdue invoices with their payments; finished
 * campaigns), as the per-event paths would have left it, and runs VACUUM ANALYZE.
 */
import { sql } from 'kysely';
import { findOrCreateClientByEmail } from '../../src/db/clients.js';
import type { Db } from '../../src/db/connection.js';
import { insertManualInvoices } from '../../src/db/invoices/manual.js';
import { appendLedgerEntries, type NewLedgerEntry } from '../../src/db/ledger.js';
import { insertCampaigns } from '../../src/db/recovery-campaigns.js';
import { ensureTenant } from '../../src/db/tenants.js';
import type { NewCampaignRecord } from '../../src/domain/recovery/contracts.js';
import type { NewManualInvoice } from '../../src/db/invoices/manual.js';
import {
  CLIENTS_PER_TENANT,
  prng,
  TENANTS,
  tenantCurrency,
  tenantId,
  timeOf,
  WALLETS_PER_TENANT,
  walletId,
  zipfPicker,
  type SeedSize,
} from './shape.js';

/** Rows per statement: 9 parameters each, under PostgreSQL's 65,535 per statement. */
const LEDGER_BATCH = 5_000;
/** Concurrent ledger inserts: the trigger's per-row balance update is the seed's bottleneck. */
export const LEDGER_STREAMS = 4;
const INVOICE_BATCH = 2_000;
const CAMPAIGN_BATCH = 2_000;

export interface SeedResult {
  /** Rows inserted per table, and the seconds it took. */
  counts: Record<string, number>;
  seconds: Record<string, number>;
  /** Tenant index → its clients' ids, rank order (rank 0 has the most invoices). */
  clients: string[][];
}

export async function seedDatabase(db: Db, size: SeedSize, end: number, log: (msg: string) => void): Promise<SeedResult> {
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const begun = Date.now();
    const result = await step();
    seconds[name] = (Date.now() - begun) / 1000;
    return result;
  };
  await timed('tenants', async () => {
    for (let t = 0; t < TENANTS; t++) await ensureTenant(db, { id: tenantId(t), name: `Bench tenant ${t}` });
  });
  const clients = await timed('clients', () => seedClients(db));
  const ledger = await timed('ledger', () => seedLedger(db, size.ledgerEntries, end, log));
  const invoices = await timed('invoices', () => seedInvoices(db, size.invoices, end, clients));
  const campaigns = await timed('campaigns', () => seedCampaigns(db, size.campaigns, end));
  await timed('lifecycle', () => applyLifecycle(db, end));
  // Twice: the first pass leaves the freshly appended ledger pages not all-visible (index-only scans would still
  // visit the heap); autovacuum gets there on a ledger that grew over a year, the second pass here.
  await timed('vacuum analyze', async () => {
    await sql`vacuum analyze`.execute(db);
    await sql`vacuum`.execute(db);
  });
  return { counts: { ledger, invoices, campaigns }, seconds, clients };
}

async function seedClients(db: Db): Promise<string[][]> {
  const clients: string[][] = [];
  for (let t = 0; t < TENANTS; t++) {
    const ids = await Promise.all(
      Array.from({ length: CLIENTS_PER_TENANT }, async (_, c) => {
        const client = await findOrCreateClientByEmail(db, tenantId(t), { email: `client${c}@tenant${t}.example`, name: `Client ${c}` });
        return client.id;
      }),
    );
    clients.push(ids);
  }
  return clients;
}

/**
 * Top-ups, grants and spends in time order; each wallet's balance is tracked here so a spend never overdraws
 * (the CHECK would fail the whole batch). Wallets are split over LEDGER_STREAMS connections that insert at once:
 * a wallet's entries stay in one stream, in order, and two streams never touch the same balance row.
 */
async function seedLedger(db: Db, count: number, end: number, log: (msg: string) => void): Promise<number> {
  const random = prng(1);
  const pickTenant = zipfPicker(TENANTS);
  const pickWallet = zipfPicker(WALLETS_PER_TENANT);
  const balances = new Map<string, number>();
  const begun = Date.now();
  let inserted = 0;
  let batches: Array<Array<NewLedgerEntry & { createdAt: Date }>> = Array.from({ length: LEDGER_STREAMS }, () => []);
  const flush = async () => {
    const counts = await Promise.all(batches.map((batch) => appendLedgerEntries(db, batch)));
    batches = batches.map(() => []);
    const before = inserted;
    inserted += counts.reduce((sum, n) => sum + n, 0);
    if (Math.floor(inserted / 100_000) > Math.floor(before / 100_000)) log(`ledger: ${inserted}/${count} (${((Date.now() - begun) / 1000).toFixed(0)}s)`);
  };
  for (let i = 0; i < count; i++) {
    const t = pickTenant(random());
    const w = pickWallet(random());
    const accountId = walletId(w);
    const key = `${t}/${accountId}`;
    const balance = balances.get(key) ?? 0;
    const roll = random();
    let kind: NewLedgerEntry['kind'];
    let amount: number;
    if (balance < 500 || roll < 0.35) {
      kind = 'top_up';
      amount = [1_000, 2_500, 5_000, 10_000][Math.floor(random() * 4)]!;
    } else if (roll < 0.45) {
      kind = 'grant';
      amount = 100 + Math.floor(random() * 900);
    } else {
      kind = 'spend';
      amount = -(1 + Math.floor(random() * Math.min(balance, 3_000)));
    }
    balances.set(key, balance + amount);
    const batch = batches[(t * WALLETS_PER_TENANT + w) % LEDGER_STREAMS]!;
    batch.push({
      tenantId: tenantId(t),
      accountId,
      currency: tenantCurrency(t),
      kind,
      amount,
      sourceKey: `seed:${i}`,
      description: kind === 'spend' ? 'usage' : undefined,
      createdAt: timeOf(i, count, end, random),
    });
    // Streams fill unevenly (the wallets are skewed): flush when one is full, a statement's parameters are capped.
    if (batch.length === LEDGER_BATCH || i === count - 1) await flush();
  }
  return inserted;
}

async function seedInvoices(db: Db, count: number, end: number, clients: string[][]): Promise<number> {
  const random = prng(2);
  const pickTenant = zipfPicker(TENANTS);
  const pickClient = zipfPicker(CLIENTS_PER_TENANT);
  let inserted = 0;
  let batch: Array<NewManualInvoice & { createdAt: Date }> = [];
  for (let i = 0; i < count; i++) {
    const t = pickTenant(random());
    const createdAt = timeOf(i, count, end, random);
    const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, n) => {
      const quantity = 1 + Math.floor(random() * 5);
      const unitAmount = 500 + Math.floor(random() * 20_000);
      return { description: `Service ${n + 1}`, quantity, unitAmount, amount: quantity * unitAmount };
    });
    batch.push({
      tenantId: tenantId(t),
      id: `inv_seed_${i}`,
      clientId: clients[t]![pickClient(random())]!,
      currency: tenantCurrency(t),
      dueAt: new Date(createdAt.getTime() + 30 * 24 * 60 * 60 * 1000),
      memo: null,
      lines,
      createdAt,
    });
    if (batch.length === INVOICE_BATCH || i === count - 1) {
      inserted += await insertManualInvoices(db, batch);
      batch = [];
    }
  }
  return inserted;
}

async function seedCampaigns(db: Db, count: number, end: number): Promise<number> {
  const random = prng(3);
  const pickTenant = zipfPicker(TENANTS);
  let inserted = 0;
  let batch: Array<NewCampaignRecord & { createdAt: Date }> = [];
  for (let i = 0; i < count; i++) {
    const t = pickTenant(random());
    const customer = Math.floor(random() * 500);
    batch.push({
      tenantId: tenantId(t),
      campaignId: `invoice:inv_seed_c${i}`,
      item: { kind: 'invoice', ref: `inv_seed_c${i}` },
      amount: 1_000 + Math.floor(random() * 50_000),
      currency: tenantCurrency(t),
      customer: { email: `customer${customer}@tenant${t}.example`, id: `cus_${customer}`, timeZone: 'UTC' },
      metadata: {},
      createdAt: timeOf(i, count, end, random),
    });
    if (batch.length === CAMPAIGN_BATCH || i === count - 1) {
      inserted += await insertCampaigns(db, batch);
      batch = [];
    }
  }
  return inserted;
}

/**
 * What the workflows would have done by `end`, in bulk (their per-event paths would take hours here), chosen by
 * a hash of the id. Invoices older than 30 days: 85% paid, 5% void, 10% still pending and overdue; newer: 40% paid.
 * Campaigns older than 14 days: finished (paid, expired, exhausted, cancelled); newer: active.
 */
async function applyLifecycle(db: Db, end: number): Promise<void> {
  const at = new Date(end);
  const bucket = sql`abs(hashtext(id)) % 100`;
  const old = sql`created_at < ${at}::timestamptz - interval '30 days'`;
  await sql`
    update invoices set status = 'paid', amount_paid = amount_due, updated_at = ${at},
      paid_at = least(${at}::timestamptz, created_at + (${bucket} % 20) * interval '1 day')
    where ${bucket} < case when ${old} then 85 else 40 end`.execute(db);
  await sql`update invoices set status = 'cancelled', updated_at = ${at} where status = 'pending' and ${old} and ${bucket} < 90`.execute(db);
  await sql`
    update invoices set overdue = true, overdue_reason = 'due_date_passed', updated_at = ${at}
    where status = 'pending' and due_at < ${at}`.execute(db);
  await sql`
    insert into invoice_payments (tenant_id, invoice_id, source, reference, amount, currency, paid_at)
    select tenant_id, id, 'payment_link', 'plink_seed', amount_paid, currency, paid_at from invoices where status = 'paid'`.execute(db);

  const finished = sql`created_at < ${at}::timestamptz - interval '14 days'`;
  await sql`
    update recovery_campaigns set
      status = case when ${bucket} < 40 then 'paid' when ${bucket} < 70 then 'expired' when ${bucket} < 90 then 'exhausted' else 'cancelled' end,
      attempts = 1 + ${bucket} % 4,
      recovered_amount = case when ${bucket} < 40 then amount end,
      paid_at = case when ${bucket} < 40 then created_at + interval '3 days' end,
      paid_via = case when ${bucket} < 40 then 'invoice' end,
      updated_at = created_at + interval '14 days'
    where ${finished}`.execute(db);
  await sql`
    update recovery_campaigns set attempts = 1, next_step_at = ${at}::timestamptz + interval '1 day'
    where not ${finished}`.execute(db);
}
