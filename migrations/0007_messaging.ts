import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Payment-recovery messaging: one row per (campaign step, channel) send, and per-channel opt-outs.

export async function up(db: Kysely<any>): Promise<void> {
  // The unique key is the idempotency key of a send: a retried or re-run activity claims the same row.
  // status: claimed (about to send) → sent | failed | possibly_sent (an attempt died between claim and record);
  // sent → delivered | undelivered from the provider's status callbacks.
  await db.schema
    .createTable('recovery_messages')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('campaign_id', 'text', (col) => col.notNull())
    .addColumn('step', 'integer', (col) => col.notNull().check(sql`step >= 1`))
    .addColumn('channel', 'text', (col) => col.notNull().check(sql`channel in ('email', 'sms')`))
    .addColumn('recipient', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) =>
      col.notNull().check(sql`status in ('claimed', 'sent', 'failed', 'possibly_sent', 'delivered', 'undelivered')`),
    )
    .addColumn('provider_id', 'text')
    .addColumn('error', 'text')
    .addColumn('permanent_failure', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('recovery_messages_step_unique', ['tenant_id', 'campaign_id', 'step', 'channel'])
    .execute();
  await db.schema.createIndex('recovery_messages_provider_id_idx').on('recovery_messages').column('provider_id').execute();
  await db.schema.createIndex('recovery_messages_recipient_idx').on('recovery_messages').columns(['channel', 'recipient']).execute();

  // address is normalised: lower-cased email, E.164 phone. tenant_id '*' = every tenant (an SMS STOP reply stops
  // the shared sender for everyone), so no foreign key to tenants.
  await db.schema
    .createTable('message_suppressions')
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('channel', 'text', (col) => col.notNull().check(sql`channel in ('email', 'sms')`))
    .addColumn('address', 'text', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull().check(sql`reason in ('unsubscribe', 'stop_reply', 'hard_bounce')`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('message_suppressions_pkey', ['tenant_id', 'channel', 'address'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('message_suppressions').execute();
  await db.schema.dropTable('recovery_messages').execute();
}
