import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Idempotency-Key bookkeeping for every route that honours the header: the first use of (tenant, scope, key) binds
// the key to a SHA-256 of the canonical request (method, route, params, body); a later use with another request is
// refused (422 idempotency_key_reused) before anything runs. Replays of the same request keep each route's own
// semantics (the original ledger entry, refund, invoice, ...).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('key', 'text', (col) => col.notNull())
    .addColumn('request_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['tenant_id', 'scope', 'key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
}
