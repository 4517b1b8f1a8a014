import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDurationMs } from '../../src/config.js';

const REQUIRED = {
  DATABASE_URL: 'postgres://payments:payments@localhost:5432/payments',
  STRIPE_SECRET_KEY: 'sk_test_123',
  STRIPE_WEBHOOK_SECRET: 'whsec_test_abc',
  STRIPE_API_VERSION: '2026-10-28.endive',
};

/** The ConfigError thrown for `env`, or a failing assertion if loadConfig accepts it. */
function problemsFor(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  expect.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('reports every missing required variable in one ConfigError', () => {
    const error = problemsFor({});
    expect(error.name).toBe('ConfigError');
    for (const name of Object.keys(REQUIRED)) {
      expect(error.message).toContain(name);
      expect(error.problems.filter((problem) => problem.startsWith(`${name}:`))).toHaveLength(1);
    }
    expect(error.problems).toHaveLength(4);
    expect(error.message).toContain('DATABASE_URL: is required but not set');
    expect(error.message).toMatch(/^Invalid configuration:\n {2}- /);
  });

  it('accepts the required variables alone and applies the defaults', () => {
    const config = loadConfig(REQUIRED);
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: 4000,
      PUBLIC_BASE_URL: 'http://localhost:4000',
      ALLOWED_FRONTEND_ORIGINS: [],
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'payments',
      TEMPORAL_TLS: false,
      STRIPE_API_PROTOCOL: 'https',
      STRIPE_WEBHOOK_SECRET: ['whsec_test_abc'],
      TOPUP_MAX_AMOUNT: 10_000,
      TOPUP_PRESET_AMOUNTS: [],
      ACTIVITY_RETRY_BACKOFF: [2_000, 60_000, 900_000, 3_600_000],
      ACTIVITY_RETRY_MAX_ELAPSED: 259_200_000,
      JWT_TENANT_CLAIM: 'tenant_id',
    });
    expect(config.STRIPE_API_HOST).toBeUndefined();
    expect(config.TEMPORAL_API_KEY).toBeUndefined();
  });

  it('reports malformed values together, naming each variable', () => {
    const error = problemsFor({ ...REQUIRED, PORT: 'abc', STRIPE_WEBHOOK_SECRET: 'nope,whsec_x', DATABASE_URL: 'mysql://db/x' });
    const names = error.problems.map((problem) => problem.split(':')[0]);
    expect(names).toEqual(expect.arrayContaining(['PORT', 'STRIPE_WEBHOOK_SECRET', 'DATABASE_URL']));
    expect(error.message).toContain('every secret must start with whsec_');
    expect(error.message).toContain('must be a postgres:// URL');
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', '3000.5'],
    ['TEMPORAL_TLS', 'yes'],
    ['STRIPE_SECRET_KEY', 'pk_test_123'],
    ['STRIPE_API_VERSION', 'latest'],
    ['STRIPE_API_PROTOCOL', 'ftp'],
    ['LOG_LEVEL', 'verbose'],
    ['PUBLIC_BASE_URL', 'not a url'],
    ['ACTIVITY_RETRY_BACKOFF', '1m,5x'],
    ['TOPUP_PRESET_AMOUNTS', '10,abc'],
    ['TOPUP_PRESET_AMOUNTS', '10,-5'],
    ['TOPUP_MAX_AMOUNT', '0'],
  ])('rejects %s=%s', (name, value) => {
    const error = problemsFor({ ...REQUIRED, [name]: value });
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual([name]);
  });

  it('parses several comma-separated webhook secrets into an array (rotation, platform + Connect)', () => {
    const config = loadConfig({ ...REQUIRED, STRIPE_WEBHOOK_SECRET: 'whsec_old, whsec_new ,,whsec_connect' });
    expect(config.STRIPE_WEBHOOK_SECRET).toEqual(['whsec_old', 'whsec_new', 'whsec_connect']);
  });

  it('coerces and transforms typed values', () => {
    const config = loadConfig({
      ...REQUIRED,
      PORT: '8080',
      TEMPORAL_TLS: 'true',
      ACTIVITY_RETRY_BACKOFF: '500ms,30s,2m',
      TOPUP_PRESET_AMOUNTS: '10, 25',
      ALLOWED_FRONTEND_ORIGINS: 'https://app.example.com, http://localhost:5173',
      TEMPORAL_API_KEY: '   ',
      STRIPE_API_HOST: ' localhost ',
      STRIPE_API_PORT: '12111',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      TEMPORAL_TLS: true,
      ACTIVITY_RETRY_BACKOFF: [500, 30_000, 120_000],
      TOPUP_PRESET_AMOUNTS: [10, 25],
      ALLOWED_FRONTEND_ORIGINS: ['https://app.example.com', 'http://localhost:5173'],
      STRIPE_API_HOST: 'localhost',
      STRIPE_API_PORT: 12111,
    });
    expect(config.TEMPORAL_API_KEY).toBeUndefined(); // blank optional strings count as unset
  });

  it.each([
    [{ TEMPORAL_TLS_CERT_PATH: '/etc/temporal/client.pem' }, 'TEMPORAL_TLS_KEY_PATH'],
    [{ STRIPE_API_PORT: '12111' }, 'STRIPE_API_HOST'],
    [{ ALLOWED_FRONTEND_ORIGINS: 'https://app.example.com/path' }, 'ALLOWED_FRONTEND_ORIGINS'],
  ])('checks cross-field rules: %o needs a valid %s', (extra, name) => {
    const error = problemsFor({ ...REQUIRED, ...extra });
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual([name]);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1.5h', undefined],
    ['5', undefined],
    ['m', undefined],
    [' 5m', undefined],
  ])('%s → %s', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });
});
