import { Migrator } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { createDb, type Db } from './connection.js';
import { grantApplicationRole } from './roles.js';

export async function migrateDb(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`Migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}`);
  }
}

/**
 * Applies pending migrations as the role of `databaseUrl` (the tables' owner), then, when `appRole` is given,
 * (re)grants that role the application privileges (src/db/roles.ts). No statement timeout: a migration may be long.
 */
export async function migrateToLatest(databaseUrl: string, options: { appRole?: string } = {}): Promise<void> {
  const db = createDb(databaseUrl, { max: 1, statementTimeoutMs: 0 });
  try {
    await migrateDb(db);
    if (options.appRole !== undefined) await grantApplicationRole(db, options.appRole);
  } finally {
    await db.destroy();
  }
}
