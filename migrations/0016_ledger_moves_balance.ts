import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// The ledger moves the balance itself: a BEFORE INSERT trigger on credit_ledger upserts credit_balances
// (balance + NEW.amount) and stamps NEW.balance_after from the result, in the same statement. So
// balance = sum(amount) per wallet holds by construction, and the application role needs no write
// privilege on credit_balances at all (src/db/roles.ts grants it SELECT only). The function is SECURITY
// DEFINER (runs as the table owner) with search_path pinned, so a caller cannot shadow the tables it touches.
// The balance >= 0 CHECK still refuses an overdraft: the whole insert fails with 23514.
// Deploy together with the application code that inserts only the ledger row (src/db/ledger.ts): the old code
// also moved the balance itself, and would move it twice.

export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = sql.id(rows[0]!.schema);
  const balances = sql`${schema}.${sql.id('credit_balances')}`;

  await sql`
    create function credit_ledger_move_balance() returns trigger
    language plpgsql security definer
    set search_path = ${schema}, pg_temp
    as $$
    declare
      moved bigint;
    begin
      -- Two steps: an upsert's candidate row (balance = a debit) would fail the CHECK before the conflict is seen.
      insert into ${balances} (tenant_id, account_id, currency, balance)
      values (new.tenant_id, new.account_id, new.currency, 0)
      on conflict (tenant_id, account_id, currency) do nothing;
      update ${balances} set balance = balance + new.amount, updated_at = now()
      where tenant_id = new.tenant_id and account_id = new.account_id and currency = new.currency
      returning balance into moved;
      new.balance_after := moved;
      return new;
    end;
    $$
  `.execute(db);
  await sql`revoke all on function credit_ledger_move_balance() from public`.execute(db);
  await sql`
    create trigger credit_ledger_move_balance before insert on credit_ledger
    for each row execute function credit_ledger_move_balance()
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger credit_ledger_move_balance on credit_ledger`.execute(db);
  await sql`drop function credit_ledger_move_balance()`.execute(db);
}
