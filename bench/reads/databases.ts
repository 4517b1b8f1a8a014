/**
 * Two migrated databases on one PostgreSQL server for the reads bench: an embedded server of its own, or the
 * server DATABASE_URL points at (its role must be allowed to CREATE DATABASE). Both are dropped by stop().
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/devstack/postgres.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export interface BenchDatabases {
  urls: Record<string, string>;
  stop(): Promise<void>;
}

const withUrlDatabase = (url: string, database: string) => {
  const result = new URL(url);
  result.pathname = `/${encodeURIComponent(database)}`;
  return result.toString();
};

export async function startDatabases(names: string[], log: (msg: string) => void): Promise<BenchDatabases> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.splice(0).reverse()) await fn().catch((error: unknown) => log(`stop error: ${String(error)}`));
  };
  try {
    let serverUrl = process.env.DATABASE_URL?.trim();
    if (!serverUrl) {
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'payments-bench-reads-'));
      stops.push(() => rm(tmp, { recursive: true, force: true }));
      const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'postgres'), persistent: false, output: 'quiet', log });
      stops.push(server.stop);
      serverUrl = server.adminUrl;
    }
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    const urls: Record<string, string> = {};
    try {
      for (const name of names) {
        const database = `bench_reads_${name}_${Date.now().toString(36)}`;
        await admin.query(`create database ${admin.escapeIdentifier(database)}`);
        stops.push(() => dropDatabase(serverUrl, database));
        urls[name] = withUrlDatabase(serverUrl, database);
        await migrateToLatest(urls[name]);
      }
    } finally {
      await admin.end();
    }
    return { urls, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${admin.escapeIdentifier(database)} with (force)`);
  } finally {
    await admin.end();
  }
}
