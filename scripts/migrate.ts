/**
 * `npm run migrate`: applies every pending migration in migrations/ as DATABASE_MIGRATION_URL (the role that
 * owns the tables; DATABASE_URL when unset), then, when DATABASE_MIGRATION_URL is set, grants DATABASE_APP_ROLE
 * (default payments_app, the role of DATABASE_URL) the application privileges (src/db/roles.ts).
 *
 * The variables come from the environment, or from a `.env` file in the project root (real env vars win).
 * Only these are needed: the rest of the configuration (Stripe keys, …) is not required to migrate.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { configSchema } from '../src/config.js';
import { createDb } from '../src/db/connection.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { PROJECT_ROOT } from '../src/tools/resolve.js';

const log = (msg: string) => process.stderr.write(`[migrate] ${msg}\n`);

function fail(message: string): never {
  log(message);
  process.exit(1);
}

/** host:port/database without credentials, for log lines. */
function describeTarget(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** Names of the migrations already applied (Kysely's bookkeeping table), oldest first; [] on a fresh database. */
async function appliedMigrations(databaseUrl: string): Promise<string[]> {
  const db = createDb(databaseUrl, { max: 1 });
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by timestamp, name`.execute(db);
    return rows.map((row) => row.name);
  } catch (error) {
    if ((error as { code?: unknown }).code === '42P01') return []; // undefined_table: nothing migrated yet
    throw error;
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  const envFile = path.join(PROJECT_ROOT, '.env');
  if (existsSync(envFile)) {
    process.loadEnvFile(envFile); // does not override variables already in the environment
    log(`loaded ${path.relative(process.cwd(), envFile) || '.env'}`);
  }

  const migrationUrlSet = Boolean(process.env.DATABASE_MIGRATION_URL?.trim());
  const variable = migrationUrlSet ? 'DATABASE_MIGRATION_URL' : 'DATABASE_URL';
  const raw = process.env[variable]?.trim();
  if (!raw) {
    fail('DATABASE_URL is not set. Set it in the environment or in .env, e.g. DATABASE_URL=postgres://payments:payments@localhost:5432/payments');
  }
  const parsed = configSchema.shape.DATABASE_URL.safeParse(raw);
  if (!parsed.success) {
    fail(`${variable} ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  const databaseUrl = parsed.data;
  const appRole = configSchema.shape.DATABASE_APP_ROLE.safeParse(process.env.DATABASE_APP_ROLE?.trim() || undefined);
  if (!appRole.success) fail(`DATABASE_APP_ROLE ${appRole.error.issues.map((issue) => issue.message).join('; ')}`);

  log(`migrating ${describeTarget(databaseUrl)} (${variable})`);
  const before = new Set(await appliedMigrations(databaseUrl));
  // Without DATABASE_MIGRATION_URL the app and the migrations share one role: nothing to grant.
  await migrateToLatest(databaseUrl, migrationUrlSet ? { appRole: appRole.data } : {});
  if (migrationUrlSet) log(`granted the application privileges to ${appRole.data}`);
  const after = await appliedMigrations(databaseUrl);

  const applied = after.filter((name) => !before.has(name));
  if (applied.length === 0) {
    process.stdout.write(`Database is up to date (${after.length} migration${after.length === 1 ? '' : 's'} applied).\n`);
  } else {
    process.stdout.write(`Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:\n${applied.map((name) => `  - ${name}`).join('\n')}\n`);
  }
}

main().catch((error: unknown) => {
  fail(`failed: ${error instanceof Error ? error.message : String(error)}`);
});
