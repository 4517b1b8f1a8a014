import { Kysely, PostgresDialect, type PostgresCursor, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/** Defaults of DATABASE_STATEMENT_TIMEOUT_MS and DATABASE_CONNECT_TIMEOUT_MS (src/config.ts). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
/**
 * How much longer than statement_timeout the client waits for an answer before giving up on its own: a live
 * server cancels the statement first (57014, the connection stays usable); a frozen one never answers.
 */
const CLIENT_TIMEOUT_MARGIN_MS = 500;

export interface CreateDbOptions {
  max?: number;
  /** Server-side statement_timeout, and (plus a margin) the client-side wait per query. 0 = none (migrations). */
  statementTimeoutMs?: number;
  /** Wait for a new connection or for a free pool slot. */
  connectTimeoutMs?: number;
}

/** The gateway's and the worker's pool settings (DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_CONNECT_TIMEOUT_MS). */
export function appDbOptions(config: Pick<Config, 'DATABASE_STATEMENT_TIMEOUT_MS' | 'DATABASE_CONNECT_TIMEOUT_MS'>): CreateDbOptions {
  return { statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS, connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS };
}

/** pg's own message when a query got no answer within query_timeout. */
const QUERY_READ_TIMEOUT = 'Query read timeout';

function isClientSideTimeout(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith(QUERY_READ_TIMEOUT);
}

/**
 * pg.Pool for kysely, except that a connection on which a query timed out client-side is destroyed instead of
 * going back to the pool: its query is still outstanding, so the next query there would queue behind it.
 */
class TimeoutAwarePool implements PostgresPool {
  constructor(readonly pool: pg.Pool) {}

  async connect(): Promise<PostgresPoolClient> {
    return wrapClient(await this.pool.connect());
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

function wrapClient(client: pg.PoolClient): PostgresPoolClient {
  let abandoned: Error | undefined;
  const query = (first: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>): unknown => {
    // A later query (kysely's ROLLBACK after the timeout) would wait behind the lost one: fail it at once.
    if (abandoned) return Promise.reject(new Error(`${QUERY_READ_TIMEOUT}: connection abandoned after an earlier timeout`));
    if (typeof first !== 'string') return client.query(first as never);
    return client.query(first, parameters as unknown[]).catch((error: unknown) => {
      if (isClientSideTimeout(error)) abandoned = error as Error;
      throw error;
    });
  };
  return {
    query: query as PostgresPoolClient['query'],
    release: () => client.release(abandoned),
  };
}

const pools = new WeakMap<Db, TimeoutAwarePool>();

export function createDb(databaseUrl: string, options: CreateDbOptions = {}): Db {
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs, query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS } : {}),
  });
  // An idle client erroring (e.g. the server restarting) must not crash the process.
  pool.on('error', () => undefined);
  const wrapped = new TimeoutAwarePool(pool);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: wrapped }) });
  pools.set(db, wrapped);
  return db;
}

/** The pg pool behind a Db made by createDb (for pool metrics); undefined for any other Kysely. */
export function poolOf(db: Db): pg.Pool | undefined {
  return pools.get(db)?.pool;
}

/**
 * `select 1` that holds a pool slot no longer than `timeoutMs` (readiness probes): a slot granted after the
 * deadline is released at once, and a connection whose answer does not come in time is destroyed.
 */
export async function pingDatabase(db: Db, timeoutMs: number): Promise<void> {
  const wrapped = pools.get(db);
  if (!wrapped) {
    await db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
    return;
  }
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const connecting = wrapped.pool.connect();
  const client = await Promise.race([
    connecting,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no database connection within ${timeoutMs} ms`)), timeoutMs);
    }),
  ])
    .catch((error: unknown) => {
      // Still queued for a slot: give it back the moment it is granted.
      connecting.then((late) => late.release(), () => undefined);
      throw error;
    })
    .finally(() => clearTimeout(timer));
  let failure: Error | undefined;
  try {
    const probe: pg.QueryConfig & { query_timeout: number } = { text: 'select 1', query_timeout: Math.max(1, deadline - Date.now()) };
    await client.query(probe); // pg honours a per-query query_timeout; @types/pg does not list it
  } catch (error) {
    if (isClientSideTimeout(error)) failure = error as Error;
    throw error;
  } finally {
    client.release(failure);
  }
}

/** Connections of `db`'s pool: open, idle, and callers waiting for one (undefined for a Kysely not made by createDb). */
export function poolStats(db: Db): { total: number; idle: number; waiting: number } | undefined {
  const wrapped = pools.get(db);
  return wrapped && { total: wrapped.pool.totalCount, idle: wrapped.pool.idleCount, waiting: wrapped.pool.waitingCount };
}
