/**
 * `npm run api-key:create -- --tenant <id> [--name <name>] [--role admin|member] [--tenant-name <display name>]`
 *
 * Creates the tenant if it does not exist yet, then a new API key for it, and prints the key once: only a
 * hash of its secret is stored, so it cannot be shown again. DATABASE_URL comes from the environment or .env,
 * else from .data/dev.env, which a running `npm start` writes (src/devstack/dev-env.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema } from '../src/config.js';
import { createApiKey } from '../src/db/api-keys.js';
import { createDb } from '../src/db/connection.js';
import { DEV_ENV_FILE_NAME, loadDevEnvFile } from '../src/devstack/dev-env.js';
import { ensureTenant } from '../src/db/tenants.js';
import { PROJECT_ROOT } from '../src/tools/resolve.js';
import { parseCommandLine } from './command-line.js';

const USAGE = `Usage: npm run api-key:create -- --tenant <id> [--name <name>] [--role admin|member] [--tenant-name <display name>]

  --tenant <id>             tenant id (created if it does not exist); letters, digits, '.', '_' and '-'
  --name <name>             label for the key, e.g. "billing backend" (default: "created by api-key:create")
  --role admin|member       permissions of the key (default: member)
  --tenant-name <name>      display name when the tenant is created (default: the tenant id)
  -h, --help                show this help

Needs DATABASE_URL (environment, .env, or .data/dev.env while npm start runs) and a migrated database.
`;

const argsSchema = z.object({
  tenant: z
    .string({ error: '--tenant is required' })
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "--tenant must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"),
  name: z.string().trim().min(1, '--name must not be empty').max(200, '--name is too long').default('created by api-key:create'),
  role: z.enum(['admin', 'member'], { error: '--role must be admin or member' }).default('member'),
  'tenant-name': z.string().trim().min(1, '--tenant-name must not be empty').max(200, '--tenant-name is too long').optional(),
});

const OPTIONS = {
  tenant: { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  'tenant-name': { type: 'string' },
} as const;

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2), OPTIONS, argsSchema, USAGE);

  const envFile = path.join(PROJECT_ROOT, '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile); // does not override variables already in the environment
  // The dev stack's own database (embedded PostgreSQL) while `npm start` runs.
  const fromDevEnv = loadDevEnvFile(path.join(PROJECT_ROOT, '.data', DEV_ENV_FILE_NAME)).includes('DATABASE_URL');
  const databaseUrl = configSchema.shape.DATABASE_URL.safeParse(process.env.DATABASE_URL?.trim());
  if (!databaseUrl.success) {
    process.stderr.write(
      process.env.DATABASE_URL?.trim()
        ? `error: DATABASE_URL ${databaseUrl.error.issues.map((issue) => issue.message).join('; ')}\n`
        : 'error: DATABASE_URL is not set (environment or .env), and no .data/dev.env from a running `npm start`\n',
    );
    process.exit(1);
  }

  if (fromDevEnv) process.stderr.write(`Using the dev stack's database (.data/${DEV_ENV_FILE_NAME}).\n`);
  const db = createDb(databaseUrl.data, { max: 1 });
  try {
    await ensureTenant(db, { id: args.tenant, name: args['tenant-name'] ?? args.tenant });
    const { id, key } = await createApiKey(db, { tenantId: args.tenant, name: args.name, role: args.role });
    process.stderr.write(`Created ${args.role} API key ${id} ("${args.name}") for tenant ${args.tenant}.\n`);
    process.stderr.write('Store it now: it is shown only once. Only a hash of its secret is stored, so it cannot be recovered.\n\n');
    process.stdout.write(`${key}\n`);
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  const undefinedTable = (error as { code?: unknown }).code === '42P01';
  const refused = (error as { code?: unknown }).code === 'ECONNREFUSED';
  const hint = undefinedTable ? ' (run `npm run migrate` first)' : refused ? ' (is the database, or `npm start`, running?)' : '';
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}${hint}\n`);
  process.exit(1);
});
