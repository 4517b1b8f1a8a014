import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Where the missed-event sweep of each Stripe account got to: the `created` second of the newest event it has
// dispatched, and the ids it dispatched in that second (events.list is filtered by whole seconds, so the next run
// lists that second again and skips only these).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('stripe_event_cursors')
    .addColumn('account', 'text', (col) => col.primaryKey())
    .addColumn('created_through', 'bigint', (col) => col.notNull().check(sql`created_through >= 0`))
    .addColumn('ids_at_cursor', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('stripe_event_cursors').ifExists().execute();
}
