import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Indexes that serve the list routes' order (newest first, (created_at, id) as the cursor) and the financial
// summary's ranges from the index alone, so a read costs the page it returns, not the tenant's history
// (measured by `BENCH_ONLY=reads npm run bench`). Each replaced index is a prefix of its replacement.

export async function up(db: Kysely<any>): Promise<void> {
  // GET /v1/invoices?status=… and ?client_id=…: the index gives the page's order, no sort of every match.
  await sql`create index invoices_tenant_status_created_id_idx on invoices (tenant_id, status, created_at, id)`.execute(db);
  await sql`drop index invoices_tenant_status_created_idx`.execute(db);
  await sql`create index invoices_tenant_client_created_id_idx on invoices (tenant_id, client_id, created_at, id)`.execute(db);
  await sql`drop index invoices_tenant_client_idx`.execute(db);
  // ?overdue=true: few rows, and the newest pending invoices are not overdue yet (a status index would skip them one by one).
  await sql`create index invoices_tenant_overdue_created_id_idx on invoices (tenant_id, created_at, id) where overdue`.execute(db);

  // GET /v1/recoveries (with or without ?status=) and the summary's campaigns created in a range.
  await sql`create index recovery_campaigns_tenant_created_id_idx on recovery_campaigns (tenant_id, created_at, id)`.execute(db);
  await sql`create index recovery_campaigns_tenant_status_created_id_idx on recovery_campaigns (tenant_id, status, created_at, id)`.execute(db);
  await sql`drop index recovery_campaigns_tenant_status_idx`.execute(db);

  // The summary's sums read (currency, amount) from the index: an index-only scan of the range, no heap visits.
  await sql`create index credit_ledger_tenant_kind_created_cover_idx on credit_ledger (tenant_id, kind, created_at) include (currency, amount)`.execute(db);
  await sql`drop index credit_ledger_tenant_kind_created_idx`.execute(db);
  await sql`create index invoice_payments_tenant_paid_cover_idx on invoice_payments (tenant_id, paid_at) include (invoice_id, currency, amount)`.execute(db);
  await sql`drop index invoice_payments_tenant_paid_idx`.execute(db);
  await sql`create index invoices_tenant_pending_cover_idx on invoices (tenant_id) include (currency, amount_due, amount_paid) where status = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index invoices_tenant_pending_cover_idx`.execute(db);
  await sql`create index invoice_payments_tenant_paid_idx on invoice_payments (tenant_id, paid_at)`.execute(db);
  await sql`drop index invoice_payments_tenant_paid_cover_idx`.execute(db);
  await sql`create index credit_ledger_tenant_kind_created_idx on credit_ledger (tenant_id, kind, created_at)`.execute(db);
  await sql`drop index credit_ledger_tenant_kind_created_cover_idx`.execute(db);
  await sql`create index recovery_campaigns_tenant_status_idx on recovery_campaigns (tenant_id, status)`.execute(db);
  await sql`drop index recovery_campaigns_tenant_status_created_id_idx`.execute(db);
  await sql`drop index recovery_campaigns_tenant_created_id_idx`.execute(db);
  await sql`drop index invoices_tenant_overdue_created_id_idx`.execute(db);
  await sql`create index invoices_tenant_client_idx on invoices (tenant_id, client_id, created_at)`.execute(db);
  await sql`drop index invoices_tenant_client_created_id_idx`.execute(db);
  await sql`create index invoices_tenant_status_created_idx on invoices (tenant_id, status, created_at)`.execute(db);
  await sql`drop index invoices_tenant_status_created_id_idx`.execute(db);
}
