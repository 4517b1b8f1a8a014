/**
 * Least privilege: migrations run as the role that owns the tables; the gateway and the worker connect as an
 * application role that may read and write ordinary tables but can only append to the ledger and only read the
 * balances (which the ledger's SECURITY DEFINER trigger moves, migration 0016). Not being the owner, it cannot
 * ALTER the ledger (DISABLE TRIGGER), and not being a superuser it cannot SET session_replication_role.
 */
import { sql } from 'kysely';
import type { Db } from './connection.js';

/** Append-only: the application role may only SELECT and INSERT. */
const APPEND_ONLY_TABLES = ['credit_ledger'];
/** Written only by the ledger's trigger: the application role may only SELECT. */
const READ_ONLY_TABLES = ['credit_balances'];
/** Kysely's migration bookkeeping: the application role gets nothing. */
const NO_ACCESS_TABLES = ['kysely_migration', 'kysely_migration_lock'];

/**
 * (Re)grants `role` exactly the application privileges on every table and sequence of the current schema, as
 * the owner (`ownerDb`), after migrations. Idempotent: revokes everything first, so it also takes back
 * privileges granted by hand or by an earlier version; run it after every migration (new tables).
 *
 * Owns its transaction: it runs as the owner role on its own connection after migrations, and a half-applied
 * grant set must never be left behind; nothing composes it with other writes.
 */
export async function grantApplicationRole(ownerDb: Db, role: string): Promise<void> {
  await ownerDb.transaction().execute(async (trx) => {
    const { rows } = await sql<{ schema: string; me: string; exists: boolean }>`
      select current_schema() as schema, current_user as me, exists (select 1 from pg_roles where rolname = ${role}) as exists
    `.execute(trx);
    const { schema, me, exists } = rows[0]!;
    if (!exists) throw new Error(`database role "${role}" does not exist (DATABASE_APP_ROLE); create it first (README "Security: database roles")`);
    if (role === me) throw new Error(`DATABASE_APP_ROLE "${role}" is the role migrations run as; the application role must be a different role`);

    const { rows: tables } = await sql<{ name: string }>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind in ('r', 'p') order by c.relname
    `.execute(trx);
    const grantee = sql.id(role);
    const qualified = (name: string) => sql`${sql.id(schema)}.${sql.id(name)}`;

    await sql`grant usage on schema ${sql.id(schema)} to ${grantee}`.execute(trx);
    await sql`revoke all on all tables in schema ${sql.id(schema)} from ${grantee}`.execute(trx);
    await sql`revoke all on all sequences in schema ${sql.id(schema)} from ${grantee}`.execute(trx);
    for (const { name } of tables) {
      if (NO_ACCESS_TABLES.includes(name)) continue;
      const privileges = APPEND_ONLY_TABLES.includes(name) ? sql`select, insert` : READ_ONLY_TABLES.includes(name) ? sql`select` : sql`select, insert, update, delete`;
      await sql`grant ${privileges} on table ${qualified(name)} to ${grantee}`.execute(trx);
    }
    await sql`grant usage, select on all sequences in schema ${sql.id(schema)} to ${grantee}`.execute(trx);
  });
}
