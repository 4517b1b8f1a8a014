/**
 * When a ledger row commits, seen from outside: a bench-only AFTER INSERT trigger on credit_ledger calls pg_notify
 * with the row's source key, and PostgreSQL delivers a notification only when the inserting transaction commits.
 * The bench LISTENs and stamps each arrival. Installed in the bench database only (never a migration), removed at the end.
 */
import pg from 'pg';
import { sql } from 'kysely';
import type { Db } from '../../src/db/connection.js';

const CHANNEL = 'bench_ledger_commit';

export async function installCommitNotify(db: Db): Promise<void> {
  await sql`
    create or replace function bench_ledger_commit_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify(${sql.lit(CHANNEL)}, new.source_key);
      return null;
    end;
    $$
  `.execute(db);
  await sql`drop trigger if exists bench_ledger_commit_notify on credit_ledger`.execute(db);
  await sql`
    create trigger bench_ledger_commit_notify after insert on credit_ledger
    for each row execute function bench_ledger_commit_notify()
  `.execute(db);
}

export async function removeCommitNotify(db: Db): Promise<void> {
  await sql`drop trigger if exists bench_ledger_commit_notify on credit_ledger`.execute(db);
  await sql`drop function if exists bench_ledger_commit_notify()`.execute(db);
}

export interface CommitListener {
  close(): Promise<void>;
}

/** Calls onCommit(sourceKey, performance.now()) for every committed ledger row. */
export async function listenForCommits(databaseUrl: string, onCommit: (sourceKey: string, at: number) => void): Promise<CommitListener> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('notification', (message) => {
    if (message.channel === CHANNEL && message.payload) onCommit(message.payload, performance.now());
  });
  client.on('error', (error) => process.stderr.write(`[bench] commit listener: ${error.message}\n`));
  await client.connect();
  await client.query(`listen ${CHANNEL}`);
  return { close: () => client.end() };
}

/** How many ledger rows each of `sourceKeys` has (absent: none). */
export async function ledgerRowsPerKey(db: Db, tenantId: string, sourceKeys: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < sourceKeys.length; i += 5_000) {
    const rows = await db
      .selectFrom('credit_ledger')
      .select(['source_key', (eb) => eb.fn.countAll<string>().as('n')])
      .where('tenant_id', '=', tenantId)
      .where('source_key', 'in', sourceKeys.slice(i, i + 5_000))
      .groupBy('source_key')
      .execute();
    for (const row of rows) counts.set(row.source_key, Number(row.n));
  }
  return counts;
}
