import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.

export async function up(db: Kysely<any>): Promise<void> {
  // When the tenant's current Stripe account was connected / last disconnected (tenants.stripe_account_id
  // itself exists since 0001: set on connect, null after a disconnect).
  await db.schema.alterTable('tenants').addColumn('connected_at', 'timestamptz').execute();
  await db.schema.alterTable('tenants').addColumn('disconnected_at', 'timestamptz').execute();

  // One row per OAuth `state` handed out by GET /v1/connect/stripe/start. The state is also HMAC-signed; this
  // row makes it single-use: the callback consumes it with
  //   UPDATE ... SET used_at = now() WHERE nonce_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING
  // so two concurrent callbacks cannot both succeed. Only the SHA-256 of the nonce is stored.
  await db.schema
    .createTable('connect_oauth_states')
    .addColumn('nonce_hash', 'text', (col) => col.primaryKey())
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    // Who started it: `key:<api key id>` or `user:<jwt sub>`.
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('redirect_uri', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('connect_oauth_states_expires_at').on('connect_oauth_states').column('expires_at').execute();

  // Audit trail of connects and disconnects (append-only by convention).
  await db.schema
    .createTable('connect_history')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('stripe_account_id', 'text', (col) => col.notNull())
    .addColumn('action', 'text', (col) => col.notNull().check(sql`action in ('connected', 'disconnected')`))
    // oauth_callback | api | webhook
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('subject', 'text')
    .addColumn('stripe_event_id', 'text')
    .addColumn('livemode', 'boolean')
    .addColumn('scope', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('connect_history_tenant').on('connect_history').columns(['tenant_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('connect_history').execute();
  await db.schema.dropTable('connect_oauth_states').execute();
  await db.schema.alterTable('tenants').dropColumn('disconnected_at').execute();
  await db.schema.alterTable('tenants').dropColumn('connected_at').execute();
}
