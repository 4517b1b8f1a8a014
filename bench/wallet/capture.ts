/**
 * The SQL one spend sends, captured on the wire: a pool whose clients record every query text and its parameters
 * (BEGIN, SAVEPOINT and COMMIT included, should the append path ever use them), driving the real
 * appendLedgerEntry once. The pgbench script is written from this, so it follows any change to the app's statements.
 */
import { Kysely, PostgresDialect, type PostgresCursor, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { appendLedgerEntry } from '../../src/db/ledger.js';
import type { Database } from '../../src/db/schema.js';
import { spendEntry, type Wallet } from './fixture.js';

export interface CapturedStatement {
  text: string;
  params: unknown[];
}

class CapturingPool implements PostgresPool {
  readonly statements: CapturedStatement[] = [];
  constructor(private readonly pool: pg.Pool) {}

  async connect(): Promise<PostgresPoolClient> {
    const client = await this.pool.connect();
    const query = (text: string | PostgresCursor<unknown>, params?: ReadonlyArray<unknown>): unknown => {
      if (typeof text !== 'string') throw new Error('capture: the spend path is not expected to stream');
      this.statements.push({ text, params: [...(params ?? [])] });
      return client.query(text, params as unknown[]);
    };
    return { query: query as PostgresPoolClient['query'], release: () => client.release() };
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** Appends one spend under `sampleKey` and returns what it sent, in order. */
export async function captureSpendStatements(databaseUrl: string, wallet: Wallet, sampleKey: string): Promise<CapturedStatement[]> {
  const pool = new CapturingPool(new pg.Pool({ connectionString: databaseUrl, max: 1 }));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    const { created } = await appendLedgerEntry(db, spendEntry(wallet, sampleKey));
    if (!created) throw new Error(`capture: source key ${sampleKey} was already used`);
    return pool.statements;
  } finally {
    await db.destroy();
  }
}
