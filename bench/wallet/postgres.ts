/**
 * The wallet group needs only PostgreSQL: an embedded one (migrated to latest), or DATABASE_URL when set. No
 * Temporal dev server, so nothing idles on the 2 CPUs the spenders and PostgreSQL share.
 *
 * The embedded cluster starts durable (fsync and synchronous_commit on, as a deployment runs), unlike the rest of
 * the bench stack, and setCommitDurability switches it to the stack's fsync-off settings and back: with durable
 * commits every spend holds the balance row's lock through its WAL flush, which is what makes that row the
 * serialisation point.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrate.js';
import { startEmbeddedPostgres } from '../../src/devstack/postgres.js';

export interface WalletDatabase {
  url: string;
  /** Embedded: this group may change the server's settings (ALTER SYSTEM); never on DATABASE_URL. */
  embedded: boolean;
  stop(): Promise<void>;
}

export async function startWalletDatabase(log: (msg: string) => void): Promise<WalletDatabase> {
  const envUrl = process.env.DATABASE_URL?.trim();
  if (envUrl) {
    await migrateToLatest(envUrl);
    return { url: envUrl, embedded: false, stop: async () => undefined };
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'payments-bench-wallet-'));
  try {
    // persistent: fsync and synchronous_commit stay at PostgreSQL's defaults (on); the directory is ours to delete.
    const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'postgres'), persistent: true, output: 'quiet', log });
    const stop = async () => {
      await server.stop();
      await rm(tmp, { recursive: true, force: true });
    };
    try {
      await migrateToLatest(server.url);
    } catch (error) {
      await stop();
      throw error;
    }
    return { url: server.url, embedded: true, stop };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** e.g. "fsync on, synchronous_commit on", as a new session sees them. */
export function commitSettings(url: string): Promise<string> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string; setting: string }>(
      "select name, setting from pg_settings where name in ('fsync', 'synchronous_commit') order by name",
    );
    return rows.map((r) => `${r.name} ${r.setting}`).join(', ');
  });
}

/** Durable commits (PostgreSQL's defaults) or the bench stack's fsync off; for sessions opened afterwards. */
export async function setCommitDurability(url: string, durable: boolean): Promise<void> {
  const value = durable ? 'on' : 'off';
  await withClient(url, async (client) => {
    for (const name of ['fsync', 'synchronous_commit', 'full_page_writes']) {
      await client.query(durable ? `alter system reset ${name}` : `alter system set ${name} = off`);
    }
    await client.query('select pg_reload_conf()');
  });
  // The postmaster applies a reload asynchronously: wait until a new session sees it.
  const expected = `fsync ${value}, synchronous_commit ${value}`;
  const deadline = Date.now() + 10_000;
  for (let seen = await commitSettings(url); seen !== expected; seen = await commitSettings(url)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not apply "${expected}" within 10 s (still "${seen}")`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
