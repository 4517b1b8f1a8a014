/**
 * Infrastructure for the bench: an ephemeral embedded PostgreSQL (migrated) and a headless, in-memory Temporal
 * dev server, unless DATABASE_URL / TEMPORAL_ADDRESS point at existing ones.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/devstack/postgres.js';
import { startTemporalDevServer } from '../src/devstack/temporal.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { resolveTool } from '../src/tools/resolve.js';

export interface BenchStack {
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  /** Idempotent; stops only what this process started. */
  stop(): Promise<void>;
}

export async function startBenchStack(log: (msg: string) => void): Promise<BenchStack> {
  const stops: Array<() => Promise<void>> = [];
  let tmp: string | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const results = await Promise.allSettled(stops.splice(0).reverse().map((fn) => fn()));
      for (const r of results) if (r.status === 'rejected') log(`stop error: ${String(r.reason)}`);
      if (tmp) await rm(tmp, { recursive: true, force: true });
    })());

  try {
    const envDatabaseUrl = process.env.DATABASE_URL?.trim();
    const envTemporalAddress = process.env.TEMPORAL_ADDRESS?.trim();
    if (!envDatabaseUrl || !envTemporalAddress) tmp = await mkdtemp(path.join(os.tmpdir(), 'payments-bench-'));

    const pgPromise = envDatabaseUrl
      ? Promise.resolve(envDatabaseUrl)
      : startEmbeddedPostgres({ dataDir: path.join(tmp!, 'postgres'), persistent: false, output: 'quiet', log }).then((pg) => {
          stops.push(pg.stop);
          return pg.url;
        });
    const temporalPromise = envTemporalAddress
      ? Promise.resolve({ address: envTemporalAddress, namespace: process.env.TEMPORAL_NAMESPACE?.trim() || 'default' })
      : resolveTool('temporal', { install: true, log })
          .then((executable) => startTemporalDevServer({ headless: true, executable, output: 'quiet', log }))
          .then((temporal) => {
            stops.push(temporal.stop);
            return { address: temporal.address, namespace: temporal.namespace };
          });

    // allSettled, so whatever did start is registered for stop() even if the other failed.
    const [pgResult, temporalResult] = await Promise.allSettled([pgPromise, temporalPromise]);
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (temporalResult.status === 'rejected') throw temporalResult.reason;

    const databaseUrl = pgResult.value;
    await migrateToLatest(databaseUrl);
    log(
      `postgres ${envDatabaseUrl ? '(DATABASE_URL)' : 'embedded'}, temporal ${temporalResult.value.address}${envTemporalAddress ? ' (TEMPORAL_ADDRESS)' : ' dev server'}`,
    );
    return { databaseUrl, temporalAddress: temporalResult.value.address, temporalNamespace: temporalResult.value.namespace, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
