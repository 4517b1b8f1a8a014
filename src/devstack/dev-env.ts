/**
 * What `npm start` leaves in `.data/` (gitignored) for the tools run next to it:
 *
 *   .data/dev.env      the effective settings it computed (DATABASE_URL of the embedded PostgreSQL, ports, ...),
 *                      written once the stack is up and removed when it stops; `npm run api-key:create` and
 *                      other scripts read it when DATABASE_URL is unset (loadDevEnvFile).
 *   .data/dev-api-key  the development API key (tenant `dev`, admin), reused across restarts while it still
 *                      verifies against the database; a new one is created (and stored) otherwise.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { createApiKey, verifyApiKey } from '../db/api-keys.js';
import { createDb } from '../db/connection.js';
import { ensureTenant } from '../db/tenants.js';

export const DEV_ENV_FILE_NAME = 'dev.env';
export const DEV_API_KEY_FILE_NAME = 'dev-api-key';

/** The settings `npm start` writes to dev.env when it computed them itself (never a value taken from the environment or .env). */
export const DEV_ENV_KEYS = [
  'NODE_ENV',
  'PORT',
  'PUBLIC_BASE_URL',
  'DATABASE_URL',
  'DATABASE_MIGRATION_URL',
  'DATABASE_APP_ROLE',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'STRIPE_SECRET_KEY',
  'STRIPE_PUBLISHABLE_KEY',
  'STRIPE_API_HOST',
  'STRIPE_API_PORT',
  'STRIPE_API_PROTOCOL',
  'STRIPE_API_VERSION',
  'STRIPE_WEBHOOK_SECRET',
  'SMTP_URL',
  'ALLOWED_FRONTEND_ORIGINS',
  'CODEC_ALLOWED_ORIGINS',
] as const;

/** A dotenv value Node's parser (process.loadEnvFile, util.parseEnv) reads back unchanged. */
function quoted(value: string): string {
  if (/[\n\r]/.test(value)) throw new Error('multi-line values are not written to dev.env');
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  return `\`${value}\``;
}

/** dev.env's text: the DEV_ENV_KEYS whose value in `effective` differs from `original` (what start.ts set). */
export function devEnvText(effective: NodeJS.ProcessEnv, original: NodeJS.ProcessEnv): string {
  const lines = ['# Written by `npm start` while the dev stack runs (removed when it stops); read by npm run api-key:create.'];
  for (const key of DEV_ENV_KEYS) {
    const value = effective[key];
    if (value === undefined || value === original[key]) continue;
    lines.push(`${key}=${quoted(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function writeDevEnvFile(file: string, effective: NodeJS.ProcessEnv, original: NodeJS.ProcessEnv): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, devEnvText(effective, original), { mode: 0o600 });
  await chmod(file, 0o600);
}

export async function removeDevEnvFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * Fills `target` (default process.env) from dev.env when `target.DATABASE_URL` is unset; variables already set
 * are kept. Returns the names it set (empty when the file is missing or DATABASE_URL was set).
 */
export function loadDevEnvFile(file: string, target: NodeJS.ProcessEnv = process.env): string[] {
  if ((target.DATABASE_URL ?? '').trim() !== '' || !existsSync(file)) return [];
  const values = parseEnv(readFileSync(file, 'utf8'));
  const set: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if ((target[key] ?? '').trim() !== '') continue;
    target[key] = value;
    set.push(key);
  }
  return set;
}

/**
 * The development tenant and its admin API key: the key stored in `keyFile` when it still verifies for
 * `tenantId` (same database, not revoked), else a new one, which is then stored (mode 0600).
 */
export async function ensureDevApiKey(
  databaseUrl: string,
  keyFile: string,
  tenantId = 'dev',
): Promise<{ tenantId: string; apiKey: string; reused: boolean }> {
  const db = createDb(databaseUrl, { max: 1 });
  try {
    await ensureTenant(db, { id: tenantId, name: 'Development tenant' });
    const stored = existsSync(keyFile) ? (await readFile(keyFile, 'utf8')).trim() : '';
    if (stored !== '') {
      const principal = await verifyApiKey(db, stored);
      if (principal?.tenantId === tenantId && principal.role === 'admin') return { tenantId, apiKey: stored, reused: true };
    }
    const { key } = await createApiKey(db, { tenantId, name: `npm start ${new Date().toISOString()}`, role: 'admin' });
    await mkdir(path.dirname(keyFile), { recursive: true });
    await writeFile(keyFile, `${key}\n`, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    return { tenantId, apiKey: key, reused: false };
  } finally {
    await db.destroy();
  }
}
