import { sql, type Transaction } from 'kysely';
import type { Database, DbExecutor } from './schema.js';

/**
 * Runs a unit of several statements that must commit together (a row lock and the writes it guards) in the
 * caller's transaction when `db` is one, else in a transaction of its own. The caller decides the transaction;
 * the repository only guarantees its unit is never split when the caller has none.
 */
export function inTransaction<T>(db: DbExecutor, unit: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? unit(db as Transaction<Database>) : db.transaction().execute(unit);
}

let savepoints = 0;

/**
 * Runs `step` so that its failure can be caught and recovered from (a unique violation answered by re-reading the
 * winner): inside the caller's transaction under a savepoint, because a failed statement aborts the whole
 * transaction until it is rolled back to one; on the pool as it is.
 */
export async function recoverable<T>(db: DbExecutor, step: (db: DbExecutor) => Promise<T>): Promise<T> {
  if (!db.isTransaction) return step(db);
  const name = sql.id(`recoverable_${++savepoints}`);
  await sql`savepoint ${name}`.execute(db);
  try {
    const result = await step(db);
    await sql`release savepoint ${name}`.execute(db);
    return result;
  } catch (error) {
    await sql`rollback to savepoint ${name}`.execute(db);
    throw error;
  }
}
