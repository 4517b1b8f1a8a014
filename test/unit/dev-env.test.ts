import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyApiKey } from '../../src/db/api-keys.js';
import type { Db } from '../../src/db/connection.js';
import { devEnvText, ensureDevApiKey, loadDevEnvFile, removeDevEnvFile, writeDevEnvFile } from '../../src/devstack/dev-env.js';
import { createTestDatabase } from '../helpers/app-context.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dev-env-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('.data/dev.env', () => {
  it('holds only what npm start computed, and reads back exactly (quotes, $, # and = in values)', async () => {
    const original = { STRIPE_API_VERSION: '2026-10-28.endive', HOME: '/root' };
    const effective = {
      ...original,
      DATABASE_URL: "postgres://payments_app:p'a#s$s=w@127.0.0.1:54329/payments",
      PORT: '4000',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_devStripeMock000',
      ALLOWED_FRONTEND_ORIGINS: 'http://localhost:3000,http://localhost:5173',
      UNRELATED: 'x',
    };
    expect(devEnvText(effective, original)).not.toMatch(/STRIPE_API_VERSION|HOME|UNRELATED/);

    const file = path.join(dir, 'nested', 'dev.env');
    await writeDevEnvFile(file, effective, original);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const target: NodeJS.ProcessEnv = { PORT: '5000' };
    expect(loadDevEnvFile(file, target).sort()).toEqual(['ALLOWED_FRONTEND_ORIGINS', 'DATABASE_URL', 'STRIPE_PUBLISHABLE_KEY']);
    // Variables already set win (PORT).
    expect(target).toEqual({
      PORT: '5000',
      DATABASE_URL: effective.DATABASE_URL,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_devStripeMock000',
      ALLOWED_FRONTEND_ORIGINS: effective.ALLOWED_FRONTEND_ORIGINS,
    });

    // A DATABASE_URL of its own: the file is not read at all.
    const own: NodeJS.ProcessEnv = { DATABASE_URL: 'postgres://elsewhere/db' };
    expect(loadDevEnvFile(file, own)).toEqual([]);
    expect(own).toEqual({ DATABASE_URL: 'postgres://elsewhere/db' });

    await removeDevEnvFile(file);
    expect(loadDevEnvFile(file, {})).toEqual([]);
    await removeDevEnvFile(file); // already gone: fine
  });
});

describe('the dev API key', () => {
  let db: Db;
  let url: string;

  beforeAll(async () => {
    ({ db, url } = await createTestDatabase());
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('is created once, stored with mode 0600, and reused while it verifies; a revoked or foreign key is replaced', async () => {
    const keyFile = path.join(dir, 'data', 'dev-api-key');
    const first = await ensureDevApiKey(url, keyFile);
    expect(first).toMatchObject({ tenantId: 'dev', reused: false });
    expect((await readFile(keyFile, 'utf8')).trim()).toBe(first.apiKey);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(await verifyApiKey(db, first.apiKey)).toMatchObject({ tenantId: 'dev', role: 'admin' });

    const second = await ensureDevApiKey(url, keyFile);
    expect(second).toEqual({ tenantId: 'dev', apiKey: first.apiKey, reused: true });
    expect(Number((await db.selectFrom('api_keys').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', 'dev').executeTakeFirstOrThrow()).n)).toBe(1);

    // Revoked (or from another database): a new key, stored in place of the old one.
    await db.updateTable('api_keys').set({ revoked_at: new Date() }).where('tenant_id', '=', 'dev').execute();
    const third = await ensureDevApiKey(url, keyFile);
    expect(third.reused).toBe(false);
    expect(third.apiKey).not.toBe(first.apiKey);
    expect((await readFile(keyFile, 'utf8')).trim()).toBe(third.apiKey);

    await writeFile(keyFile, 'not a key\n');
    const fourth = await ensureDevApiKey(url, keyFile);
    expect(fourth.reused).toBe(false);
    expect(await verifyApiKey(db, fourth.apiKey)).toMatchObject({ tenantId: 'dev' });
  });
});
