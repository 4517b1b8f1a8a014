import { sql } from 'kysely';
import type { SweepCursor } from '../domain/stripe-events/sweep.js';
import type { DbExecutor } from './schema.js';

export { PLATFORM_ACCOUNT } from '../domain/stripe-events/accounts.js';

export async function findSweepCursor(db: DbExecutor, account: string): Promise<SweepCursor | undefined> {
  const { rows } = await sql<{ created_through: string; ids_at_cursor: string[] }>`
    select created_through, ids_at_cursor from stripe_event_cursors where account = ${account}`.execute(db);
  const row = rows[0];
  return row ? { createdThrough: Number(row.created_through), idsAtCursor: row.ids_at_cursor } : undefined;
}

export async function saveSweepCursor(db: DbExecutor, account: string, cursor: SweepCursor): Promise<void> {
  await sql`
    insert into stripe_event_cursors (account, created_through, ids_at_cursor, updated_at)
    values (${account}, ${cursor.createdThrough}, ${cursor.idsAtCursor}, now())
    on conflict (account) do update
      set created_through = excluded.created_through, ids_at_cursor = excluded.ids_at_cursor, updated_at = now()`.execute(db);
}
