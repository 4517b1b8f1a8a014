import type { DbExecutor } from './schema.js';
import type { TopUpStatus } from './schema.js';
import { toSafeInteger } from '../domain/money.js';

export interface TopUpRecord {
  id: string;
  accountId: string;
  amount: number;
  currency: string;
  status: TopUpStatus;
  checkoutSessionId: string | null;
  creditedAmount: number | null;
}

export async function insertTopUp(
  db: DbExecutor,
  topUp: { tenantId: string; id: string; accountId: string; amount: number; currency: string },
): Promise<void> {
  await db
    .insertInto('top_ups')
    .values({
      tenant_id: topUp.tenantId,
      id: topUp.id,
      account_id: topUp.accountId,
      amount: topUp.amount,
      currency: topUp.currency,
      status: 'pending',
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
    .execute();
}

export async function attachCheckoutSession(db: DbExecutor, tenantId: string, id: string, sessionId: string): Promise<void> {
  await db
    .updateTable('top_ups')
    .set({ checkout_session_id: sessionId, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

const TERMINAL: TopUpStatus[] = ['credited', 'expired', 'failed'];

/** Terminal statuses never change again, so a late or replayed activity cannot regress a top-up. */
export async function setTopUpStatus(
  db: DbExecutor,
  update: { tenantId: string; id: string; status: TopUpStatus; creditedAmount?: number },
): Promise<void> {
  await db
    .updateTable('top_ups')
    .set({
      status: update.status,
      ...(update.creditedAmount !== undefined ? { credited_amount: update.creditedAmount } : {}),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', update.tenantId)
    .where('id', '=', update.id)
    .where('status', 'not in', TERMINAL)
    .execute();
}

export async function findTopUp(db: DbExecutor, tenantId: string, id: string): Promise<TopUpRecord | undefined> {
  const row = await db
    .selectFrom('top_ups')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    accountId: row.account_id,
    amount: toSafeInteger(row.amount),
    currency: row.currency,
    status: row.status,
    checkoutSessionId: row.checkout_session_id,
    creditedAmount: row.credited_amount === null ? null : toSafeInteger(row.credited_amount),
  };
}
