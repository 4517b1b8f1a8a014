import { sql, type ColumnType, type Generated } from 'kysely';
import type { Db } from './connection.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from './errors.js';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

/** Tables and columns added by migrations/0004_connect.ts. */
export type ConnectTables = {
  tenants: {
    connected_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
    disconnected_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  };
  connect_oauth_states: {
    nonce_hash: string;
    tenant_id: string;
    subject: string;
    redirect_uri: string;
    created_at: CreatedAt;
    expires_at: ColumnType<Date, Date | string, Date | string>;
    used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  };
  connect_history: {
    id: Generated<string>;
    tenant_id: string;
    stripe_account_id: string;
    action: 'connected' | 'disconnected';
    source: ConnectSource;
    subject: string | null;
    stripe_event_id: string | null;
    livemode: boolean | null;
    scope: string | null;
    created_at: CreatedAt;
  };
};

export type ConnectSource = 'oauth_callback' | 'api' | 'webhook';

const connectDb = (db: Db) => db.withTables<ConnectTables>();

export async function insertOAuthState(
  db: Db,
  state: { nonceHash: string; tenantId: string; subject: string; redirectUri: string; expiresAt: Date },
): Promise<void> {
  const cdb = connectDb(db);
  // Opportunistic clean-up instead of a cron job: states are useless a few minutes after they expire.
  await cdb.deleteFrom('connect_oauth_states').where('expires_at', '<', sql<Date>`now() - interval '1 day'`).execute();
  await cdb
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
export async function consumeOAuthState(db: Db, nonceHash: string, tenantId: string): Promise<ConsumeResult> {
  const cdb = connectDb(db);
  const row = await cdb
    .updateTable('connect_oauth_states')
    .set({ used_at: sql<Date>`now()` })
    .where('nonce_hash', '=', nonceHash)
    .where('tenant_id', '=', tenantId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning(['subject', 'redirect_uri'])
    .executeTakeFirst();
  if (row) return { status: 'ok', subject: row.subject, redirectUri: row.redirect_uri };
  const existing = await cdb
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

export async function findTenantConnection(db: Db, tenantId: string): Promise<TenantConnection | undefined> {
  const row = await connectDb(db)
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
  db: Db,
  input: { tenantId: string; stripeAccountId: string; subject: string; livemode?: boolean; scope?: string },
): Promise<{ previousAccountId: string | null }> {
  try {
    return await connectDb(db)
      .transaction()
      .execute(async (trx) => {
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
      });
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
  db: Db,
  input: { tenantId: string; stripeAccountId: string; source: ConnectSource; subject?: string; stripeEventId?: string },
): Promise<boolean> {
  return connectDb(db)
    .transaction()
    .execute(async (trx) => {
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
