import { sql } from 'kysely';
import { inTransaction, recoverable } from './atomic.js';
import type { ConnectSource, DbExecutor } from './schema.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from './errors.js';

export type { ConnectSource } from './schema.js';

export async function insertOAuthState(
  db: DbExecutor,
  state: { nonceHash: string; tenantId: string; subject: string; redirectUri: string; expiresAt: Date },
): Promise<void> {
  // Opportunistic clean-up instead of a cron job: states are useless a few minutes after they expire.
  await db.deleteFrom('connect_oauth_states').where('expires_at', '<', sql<Date>`now() - interval '1 day'`).execute();
  await db
    .insertInto('connect_oauth_states')
    .values({
      nonce_hash: state.nonceHash,
      tenant_id: state.tenantId,
      subject: state.subject,
      redirect_uri: state.redirectUri,
      expires_at: state.expiresAt,
    })
    .execute();
}

export type ConsumeResult =
  | { status: 'ok'; subject: string; redirectUri: string }
  | { status: 'not_found' }
  | { status: 'reused' }
  | { status: 'expired' };

/**
 * Marks the state used, atomically: only one caller can ever get `ok` for a state, and never after it expired
 * (PostgreSQL's clock decides). Otherwise says why, reuse taking precedence over expiry.
 */
export async function consumeOAuthState(db: DbExecutor, nonceHash: string, tenantId: string): Promise<ConsumeResult> {
  const row = await db
    .updateTable('connect_oauth_states')
    .set({ used_at: sql<Date>`now()` })
    .where('nonce_hash', '=', nonceHash)
    .where('tenant_id', '=', tenantId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning(['subject', 'redirect_uri'])
    .executeTakeFirst();
  if (row) return { status: 'ok', subject: row.subject, redirectUri: row.redirect_uri };
  const existing = await db
    .selectFrom('connect_oauth_states')
    .select(['used_at'])
    .where('nonce_hash', '=', nonceHash)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!existing) return { status: 'not_found' };
  return existing.used_at ? { status: 'reused' } : { status: 'expired' };
}

export class AccountAlreadyConnectedError extends Error {
  constructor(readonly stripeAccountId: string) {
    super(`Stripe account ${stripeAccountId} is already connected to another tenant.`);
    this.name = 'AccountAlreadyConnectedError';
  }
}

export interface TenantConnection {
  stripeAccountId: string | null;
  connectedAt: Date | null;
  disconnectedAt: Date | null;
}

export async function findTenantConnection(db: DbExecutor, tenantId: string): Promise<TenantConnection | undefined> {
  const row = await db
    .selectFrom('tenants')
    .select(['stripe_account_id', 'connected_at', 'disconnected_at'])
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return row ? { stripeAccountId: row.stripe_account_id, connectedAt: row.connected_at, disconnectedAt: row.disconnected_at } : undefined;
}

/**
 * Stores the connected account for the tenant (replacing a previous one) and records it in the history, in one
 * transaction. tenants.stripe_account_id is unique: an account already owned by another tenant is refused.
 */
export async function connectTenantAccount(
  db: DbExecutor,
  input: { tenantId: string; stripeAccountId: string; subject: string; livemode?: boolean; scope?: string },
): Promise<{ previousAccountId: string | null }> {
  try {
    // Recoverable: a caller that catches AccountAlreadyConnectedError keeps a usable transaction.
    return await recoverable(db, (step) =>
      inTransaction(step, async (trx) => {
        const previous = await trx
          .selectFrom('tenants')
          .select('stripe_account_id')
          .where('id', '=', input.tenantId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('tenants')
          .set({ stripe_account_id: input.stripeAccountId, connected_at: sql<Date>`now()`, disconnected_at: null })
          .where('id', '=', input.tenantId)
          .execute();
        await trx
          .insertInto('connect_history')
          .values({
            tenant_id: input.tenantId,
            stripe_account_id: input.stripeAccountId,
            action: 'connected',
            source: 'oauth_callback',
            subject: input.subject,
            stripe_event_id: null,
            livemode: input.livemode ?? null,
            scope: input.scope ?? null,
          })
          .execute();
        return { previousAccountId: previous.stripe_account_id };
      }),
    );
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw new AccountAlreadyConnectedError(input.stripeAccountId);
    throw error;
  }
}

/**
 * Clears the tenant's connected account if it is still `stripeAccountId` (a late deauthorization of an account
 * the tenant already replaced changes nothing). Returns whether it was cleared.
 */
export async function disconnectTenantAccount(
  db: DbExecutor,
  input: { tenantId: string; stripeAccountId: string; source: ConnectSource; subject?: string; stripeEventId?: string },
): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const cleared = await trx
      .updateTable('tenants')
      .set({ stripe_account_id: null, disconnected_at: sql<Date>`now()` })
      .where('id', '=', input.tenantId)
      .where('stripe_account_id', '=', input.stripeAccountId)
      .returning('id')
      .executeTakeFirst();
    if (!cleared) return false;
    await trx
      .insertInto('connect_history')
      .values({
        tenant_id: input.tenantId,
        stripe_account_id: input.stripeAccountId,
        action: 'disconnected',
        source: input.source,
        subject: input.subject ?? null,
        stripe_event_id: input.stripeEventId ?? null,
        livemode: null,
        scope: null,
      })
      .execute();
    return true;
  });
}
