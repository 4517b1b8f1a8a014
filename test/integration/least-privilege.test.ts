import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestApp, type TestApp } from '../helpers/app-context.js';

/**
 * The gateway and the worker connect as the application role (issue 11): every way around the ledger's
 * append-only triggers and the balance projection that the superuser/owner had is refused to it.
 */
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp({ RATE_LIMIT_WRITES_PER_MINUTE: '1000' });
});

afterAll(async () => {
  await app?.close();
});

async function grant(accountId: string, amount: number) {
  return api(app, 'POST', '/v1/credits/grants', { key: app.keys.t1Admin, body: { account_id: accountId, amount, currency: 'usd', reason: 'test grant' } });
}

async function spend(accountId: string, amount: number) {
  return api(app, 'POST', '/v1/credits/spend', { key: app.keys.t1Member, body: { account_id: accountId, amount, currency: 'usd' } });
}

/** Per wallet: the projected balance next to the sum of its ledger entries. */
async function balancesAndSums() {
  const { rows } = await sql<{ tenant_id: string; account_id: string; currency: string; balance: string; total: string }>`
    select b.tenant_id, b.account_id, b.currency, b.balance::text as balance, coalesce(sum(l.amount), 0)::text as total
    from credit_balances b left join credit_ledger l using (tenant_id, account_id, currency)
    group by b.tenant_id, b.account_id, b.currency, b.balance order by 1, 2, 3
  `.execute(app.db);
  return rows;
}

describe('least privilege: the application role', () => {
  it('is neither a superuser nor the owner of the ledger', async () => {
    const { rows } = await sql<{ me: string; superuser: boolean; owner: string }>`
      select current_user as me, (select rolsuper from pg_roles where rolname = current_user) as superuser,
             (select pg_get_userbyid(relowner) from pg_class where oid = 'credit_ledger'::regclass) as owner
    `.execute(app.db);
    expect(rows[0]!.superuser).toBe(false);
    expect(rows[0]!.owner).not.toBe(rows[0]!.me);
  });

  it('cannot switch the triggers off', async () => {
    await expect(sql`set session_replication_role = replica`.execute(app.db)).rejects.toThrow(/permission denied/);
    await expect(sql`alter table credit_ledger disable trigger all`.execute(app.db)).rejects.toThrow(/must be owner/);
    await expect(sql`alter table credit_ledger disable trigger credit_ledger_no_update_delete`.execute(app.db)).rejects.toThrow(/must be owner/);
    await expect(sql`drop trigger credit_ledger_move_balance on credit_ledger`.execute(app.db)).rejects.toThrow(/must be owner/);
  });

  it('cannot rewrite the ledger or the balances', async () => {
    expect((await grant('wallet-locked', 100)).status).toBe(201);
    await expect(sql`update credit_balances set balance = 1000000 where account_id = 'wallet-locked'`.execute(app.db)).rejects.toThrow(/permission denied/);
    await expect(
      sql`insert into credit_balances (tenant_id, account_id, currency, balance) values ('t1', 'wallet-forged', 'usd', 1000000)`.execute(app.db),
    ).rejects.toThrow(/permission denied/);
    await expect(sql`delete from credit_balances`.execute(app.db)).rejects.toThrow(/permission denied/);
    await expect(sql`update credit_ledger set amount = 1000000`.execute(app.db)).rejects.toThrow(/permission denied/);
    await expect(sql`delete from credit_ledger`.execute(app.db)).rejects.toThrow(/permission denied/);
    await expect(sql`truncate credit_ledger`.execute(app.db)).rejects.toThrow(/permission denied/);
    await expect(sql`truncate credit_balances`.execute(app.db)).rejects.toThrow(/permission denied/);
    await expect(sql`alter table credit_balances drop constraint credit_balances_balance_check`.execute(app.db)).rejects.toThrow(/must be owner/);

    const balance = await api(app, 'GET', '/v1/credits/balance?account_id=wallet-locked', { key: app.keys.t1Member });
    expect(balance.body).toEqual({ account_id: 'wallet-locked', balances: [{ currency: 'usd', balance: 100 }] });
  });

  it('moves the balance only by appending entries: balance = sum(amount) per wallet, and no overdraft', async () => {
    expect((await grant('wallet-sum', 1000)).status).toBe(201);
    const first = await spend('wallet-sum', 250);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect((await grant('wallet-other', 70)).status).toBe(201);
    const last = await spend('wallet-sum', 50);
    expect(last.status).toBe(201);
    expect(last.body.entry).toMatchObject({ amount: -50, balance_after: 700 });

    const overdraw = await spend('wallet-sum', 701);
    expect(overdraw.status).toBe(409);
    expect(overdraw.body).toMatchObject({ code: 'insufficient_balance', balance: 700, requested: 701 });

    // Even a row inserted by hand moves the balance, and its balance_after is the database's, not the caller's.
    const { rows } = await sql<{ balance_after: string }>`
      insert into credit_ledger (tenant_id, account_id, currency, kind, amount, balance_after, source_key)
      values ('t1', 'wallet-sum', 'usd', 'grant', 5, 999999, 'manual:1') returning balance_after::text
    `.execute(app.db);
    expect(rows[0]!.balance_after).toBe('705');
    await expect(
      sql`insert into credit_ledger (tenant_id, account_id, currency, kind, amount, balance_after, source_key)
          values ('t1', 'wallet-new', 'usd', 'spend', -1, 0, 'manual:2')`.execute(app.db),
    ).rejects.toThrow(/check constraint/);

    const wallets = await balancesAndSums();
    expect(wallets.length).toBeGreaterThanOrEqual(3);
    for (const wallet of wallets) expect(wallet.balance, `${wallet.tenant_id}/${wallet.account_id}`).toBe(wallet.total);
    expect(wallets.find((wallet) => wallet.account_id === 'wallet-sum')?.balance).toBe('705');
  });
});
