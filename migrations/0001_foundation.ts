import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('stripe_account_id', 'text', (col) => col.unique())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.notNull().check(sql`role in ('admin', 'member')`))
    .addColumn('key_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('top_ups')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (col) => col.notNull().check(sql`currency ~ '^[a-z]{3}$'`))
    .addColumn('status', 'text', (col) =>
      col.notNull().check(sql`status in ('pending', 'processing', 'credited', 'expired', 'failed')`),
    )
    .addColumn('checkout_session_id', 'text')
    .addColumn('credited_amount', 'bigint')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('top_ups_pkey', ['tenant_id', 'id'])
    .execute();

  // Balance projection: one row per wallet. The CHECK makes a negative balance impossible even under races,
  // because every ledger append updates this row in the same transaction.
  await db.schema
    .createTable('credit_balances')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('balance', 'bigint', (col) => col.notNull().defaultTo(0).check(sql`balance >= 0`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('credit_balances_pkey', ['tenant_id', 'account_id', 'currency'])
    .execute();

  await db.schema
    .createTable('credit_ledger')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('top_up', 'spend', 'grant')`))
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount <> 0`))
    .addColumn('balance_after', 'bigint', (col) => col.notNull().check(sql`balance_after >= 0`))
    .addColumn('source_key', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('credit_ledger_source_unique', ['tenant_id', 'source_key'])
    .execute();

  await db.schema
    .createIndex('credit_ledger_wallet_idx')
    .on('credit_ledger')
    .columns(['tenant_id', 'account_id', 'id'])
    .execute();

  await sql`
    create function credit_ledger_is_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'credit_ledger is append-only: % is not allowed', tg_op using errcode = 'P0001';
    end;
    $$
  `.execute(db);
  await sql`
    create trigger credit_ledger_no_update_delete before update or delete on credit_ledger
    for each row execute function credit_ledger_is_append_only()
  `.execute(db);
  await sql`
    create trigger credit_ledger_no_truncate before truncate on credit_ledger
    for each statement execute function credit_ledger_is_append_only()
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('credit_ledger').execute();
  await sql`drop function credit_ledger_is_append_only`.execute(db);
  await db.schema.dropTable('credit_balances').execute();
  await db.schema.dropTable('top_ups').execute();
  await db.schema.dropTable('api_keys').execute();
  await db.schema.dropTable('tenants').execute();
}
