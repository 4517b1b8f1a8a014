/**
 * .env.example is the operator's reference: every variable src/config.ts validates (and every other
 * variable src/ and scripts/ read) must be documented there, and the documented examples must be valid.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';

const ASSIGNMENT = /^(?:#\s?)?([A-Z][A-Z0-9_]*)=(.*)$/;

interface Example {
  names: string[];
  values: Record<string, string>;
}

/** `NAME=value` and commented-out `# NAME=value` lines, parsed with Node's own .env parser (process.loadEnvFile). */
function parseExample(text: string): Example {
  const lines = text.split(/\r?\n/).flatMap((line) => {
    const match = ASSIGNMENT.exec(line.trim());
    return match ? [{ name: match[1]!, line: `${match[1]}=${match[2]}` }] : [];
  });
  const values = parseEnv(lines.map((entry) => entry.line).join('\n'));
  return {
    names: lines.map((entry) => entry.name),
    values: Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined)),
  };
}

/** Variables read outside src/config.ts: process.env.X, tool resolver env vars (envVar: 'X'), start.ts unset('X'). */
function envVarsReadIn(dirs: string[]): Set<string> {
  const found = new Set<string>();
  const patterns = [/process\.env\.([A-Z][A-Z0-9_]*)/g, /envVar:\s*'([A-Z][A-Z0-9_]*)'/g, /\bunset\('([A-Z][A-Z0-9_]*)'\)/g];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(full, 'utf8');
        for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.add(match[1]!);
      }
    }
  };
  for (const dir of dirs) walk(path.join(PROJECT_ROOT, dir));
  found.delete('PATH');
  return found;
}

const example = parseExample(readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8'));
const schemaKeys = Object.keys(configSchema.shape);

/** Documented variables that src/config.ts does not validate. */
const NON_CONFIG_VARIABLES = [
  // src/tools/resolve.ts, src/worker/main.ts
  'TEMPORAL_CLI_PATH',
  'TEMPORAL_TEST_SERVER_PATH',
  'STRIPE_MOCK_PATH',
  'SCHEMATHESIS_PATH',
  'WORKFLOW_BUNDLE_PATH',
  // docker-compose.yml substitution
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'PAYMENTS_OWNER_PASSWORD',
  'PAYMENTS_APP_PASSWORD',
  'WORKER_REPLICAS',
  'TEMPORAL_VERSION',
  'TEMPORAL_UI_VERSION',
  'TEMPORAL_ADMINTOOLS_VERSION',
  // tests and benchmarks
  'TEST_STACK_LOGS',
  'TEST_APP_LOGS',
  'RECORD_HISTORIES',
  'BENCH_DURATION_SECONDS',
  'BENCH_WARMUP_SECONDS',
  'BENCH_CONNECTIONS',
  'BENCH_POOL_SIZE',
  'BENCH_TOP_UPS',
];

describe('.env.example', () => {
  it('finds the config schema keys (sanity check of the zod introspection)', () => {
    expect(schemaKeys.length).toBeGreaterThan(30);
    expect(schemaKeys).toEqual(expect.arrayContaining(['DATABASE_URL', 'STRIPE_WEBHOOK_SECRET', 'TOPUP_MAX_AMOUNT', 'TWILIO_FROM_NUMBER']));
  });

  it('documents every variable of the config schema', () => {
    const missing = schemaKeys.filter((key) => !example.names.includes(key));
    expect(missing).toEqual([]);
  });

  it('documents every variable src/ and scripts/ read outside the config schema', () => {
    const read = [...envVarsReadIn(['src', 'scripts'])];
    expect(read).toEqual(expect.arrayContaining(['TEMPORAL_CLI_PATH', 'TEMPORAL_TEST_SERVER_PATH', 'STRIPE_MOCK_PATH', 'WORKFLOW_BUNDLE_PATH']));
    const missing = read.filter((name) => !example.names.includes(name));
    expect(missing).toEqual([]);
  });

  it('lists each variable once and only known variables (catches typos)', () => {
    const duplicates = example.names.filter((name, index) => example.names.indexOf(name) !== index);
    expect(duplicates).toEqual([]);
    const known = new Set([...schemaKeys, ...NON_CONFIG_VARIABLES]);
    expect(example.names.filter((name) => !known.has(name))).toEqual([]);
  });

  it('has example values that loadConfig accepts as written', () => {
    const config = loadConfig(example.values);
    expect(config.DATABASE_URL).toMatch(/^postgres:\/\//);
    expect(config.STRIPE_WEBHOOK_SECRET).toHaveLength(2); // shows the comma-separated rotation/Connect form
    expect(config.STRIPE_API_VERSION).toBe('2026-10-28.endive');
    expect(config.STRIPE_API_VERSION).toBe(Stripe.API_VERSION); // what the installed stripe-node pins
    expect(config).toMatchObject({ STRIPE_API_HOST: 'localhost', STRIPE_API_PORT: 12111, STRIPE_API_PROTOCOL: 'http' });
    expect(config.TEMPORAL_TLS).toBe(true);
    expect(config.ACTIVITY_RETRY_BACKOFF).toEqual([2_000, 60_000, 900_000, 3_600_000]);
    expect(config.TOPUP_PRESET_AMOUNTS).toEqual([10, 25, 50, 100]);
    expect(config.MAIL_FROM).toBe('Payments <payments@example.com>');
    expect(config.ALLOWED_FRONTEND_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it('keeps secrets as obvious placeholders', () => {
    const secretNames = Object.keys(example.values).filter((name) => /SECRET|TOKEN|PASSWORD|API_KEY$|_KEY$/.test(name));
    expect(secretNames).toEqual(expect.arrayContaining(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'JWT_SECRET', 'TWILIO_AUTH_TOKEN']));
    for (const name of secretNames) {
      expect(example.values[name], name).toMatch(/REPLACE|CHANGE_ME|x{8}|^\/etc\//);
    }
    expect(example.values.DATABASE_URL).toContain('CHANGE_ME');
  });

  it('is entirely commented out, so copying it to .env changes nothing', () => {
    const text = readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8');
    expect(parseEnv(text)).toEqual({});
  });
});
