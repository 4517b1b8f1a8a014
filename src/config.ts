import { z } from 'zod';
import { parsePayloadKeyRing } from './temporal/codec/key-ring.js';

const csv = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  );

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const port = z.coerce.number({ error: 'must be a port number' }).int().min(1).max(65535);

/** The first retry comes quickly (a crashed worker's activity resumes within seconds), later ones back off to an hour. */
export const DEFAULT_ACTIVITY_RETRY_BACKOFF = '2s,1m,15m,1h';

const durationList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const raw = (value ?? DEFAULT_ACTIVITY_RETRY_BACKOFF).split(',').map((part) => part.trim());
    const parsed = raw.map(parseDurationMs);
    if (parsed.some((ms) => ms === undefined)) {
      ctx.addIssue({ code: 'custom', message: `expected durations like 1m,5m,15m,1h; got "${value}"` });
      return z.NEVER;
    }
    return parsed as number[];
  });

export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    /** The gateway's port; 4000 so that a frontend dev server can have 3000 (the first default frontend origin). */
    PORT: port.default(4000),
    /**
     * A second listener serving only GET /metrics for every tenant (the operator's Prometheus scrape, keep it on a
     * private network). Unset: no second listener; GET /metrics on PORT answers a tenant admin its own tenant.
     */
    METRICS_PORT: port.optional(),
    /** The worker's Temporal SDK metrics (Prometheus, /metrics) on this port, all interfaces. Unset: not exported. */
    WORKER_METRICS_PORT: port.optional(),
    PUBLIC_BASE_URL: z.url().default('http://localhost:4000'),
    /** Tenants' web app, base of the default Checkout success/cancel pages (src/payments/return-urls.ts). Default: unset. */
    FRONTEND_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://app.example.com' }).optional(),
    ALLOWED_FRONTEND_ORIGINS: csv.superRefine((origins, ctx) => {
      for (const origin of origins) {
        if (!/^https?:\/\/[^/]+$/.test(origin)) ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://app.example.com` });
      }
    }),
    BODY_LIMIT: z.string().default('100kb'),
    WEBHOOK_BODY_LIMIT: z.string().default('512kb'),
    RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().positive().default(120),

    /** The gateway's and worker's connection: the application role (README "Security: database roles"). */
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    /** Migrations' connection: the role that owns the tables. Default: unset = DATABASE_URL (single-role setups). */
    DATABASE_MIGRATION_URL: optionalString.refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// URL'),
    /** Role that migrations grant the application privileges to (src/db/roles.ts). */
    DATABASE_APP_ROLE: z.string().regex(/^[a-z_][a-z0-9_$]*$/, 'must be a lower-case PostgreSQL role name').default('payments_app'),
    /** statement_timeout of every application query (and, plus a margin, the client-side wait for its answer). */
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
    /** Wait for a new database connection or a free pool slot before answering 503 database_unavailable. */
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),

    TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('payments'),
    TEMPORAL_TLS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
    TEMPORAL_TLS_CERT_PATH: optionalString,
    TEMPORAL_TLS_KEY_PATH: optionalString,
    TEMPORAL_API_KEY: optionalString,
    TEMPORAL_RPC_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
    /**
     * Payload encryption key ring `id:base64(32 bytes),...`: the first encrypts, all decrypt (src/temporal/codec/).
     * Required in production; unset elsewhere means payloads are stored unencrypted (npm start and tests set one).
     */
    TEMPORAL_PAYLOAD_KEYS: z
      .string()
      .optional()
      .transform((value, ctx) => {
        const { keys, problems } = parsePayloadKeyRing(value);
        for (const problem of problems) ctx.addIssue({ code: 'custom', message: problem });
        return problems.length > 0 ? z.NEVER : keys;
      }),
    /** Browser origins (the Temporal Web UI) allowed to call the /codec endpoint. Default: the dev server's UI. */
    CODEC_ALLOWED_ORIGINS: csv
      .superRefine((origins, ctx) => {
        for (const origin of origins) {
          if (!/^https?:\/\/[^/]+$/.test(origin)) ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://temporal-ui.example.com` });
        }
      })
      .transform((origins) => (origins.length > 0 ? origins : ['http://localhost:8233', 'http://127.0.0.1:8233'])),
    /** The Temporal Web UI the operator console (/console) links workflows to: ${TEMPORAL_UI_URL}/namespaces/<ns>/workflows/<id>. */
    TEMPORAL_UI_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://temporal-ui.example.com' })
      .default('http://localhost:8233')
      .transform((value) => value.replace(/\/+$/, '')),

    STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_/, 'must start with sk_test_, sk_live_, rk_test_ or rk_live_'),
    STRIPE_PUBLISHABLE_KEY: optionalString,
    STRIPE_WEBHOOK_SECRET: csv.refine((secrets) => secrets.length > 0, 'is required but not set (one or more whsec_ secrets, comma-separated)').refine(
      (secrets) => secrets.every((secret) => secret.startsWith('whsec_')),
      'every secret must start with whsec_',
    ),
    STRIPE_API_VERSION: z.string().regex(/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/, 'must look like 2025-09-30.clover'),
    STRIPE_API_HOST: optionalString,
    STRIPE_API_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    STRIPE_API_PROTOCOL: z.enum(['http', 'https']).default('https'),
    /** Per-attempt timeout of every Stripe API call (the SDK retries twice more on network errors). */
    STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
    STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),
    /**
     * When the webhook path re-reads an event's object from Stripe in the pinned API version before routing:
     * `auto` on a version mismatch or a thin event, `always`, or `never` (trust the payload's shape).
     */
    STRIPE_WEBHOOK_REFETCH: z.enum(['auto', 'always', 'never']).default('auto'),
    /** Minutes between missed-event sweeps of each Stripe account (a Temporal Schedule per account); 0 = no sweeps. */
    STRIPE_EVENT_SWEEP_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(24 * 60).default(60),
    /** How far back the first sweep of an account looks; later sweeps start at its cursor (at most Stripe's 30 days). */
    STRIPE_EVENT_SWEEP_INITIAL_LOOKBACK_HOURS: z.coerce.number().int().min(0).max(30 * 24).default(72),

    /** Stripe Connect (Standard, OAuth) onboarding: src/connect/, src/gateway/routes/connect.ts. */
    STRIPE_CONNECT_CLIENT_ID: optionalString.refine((value) => value === undefined || /^ca_[A-Za-z0-9]+$/.test(value), 'must start with ca_'),
    /** Host of the OAuth authorize/token/deauthorize endpoints (tests point it at a local stand-in). */
    STRIPE_CONNECT_BASE_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://connect.stripe.com' })
      .default('https://connect.stripe.com')
      .refine((value) => new URL(value).pathname === '/' && !new URL(value).search, 'must be a scheme://host[:port] without a path')
      .transform((value) => new URL(value).origin),
    /** Default: `${PUBLIC_BASE_URL}/v1/connect/stripe/callback` (connectRedirectUri in src/connect/oauth.ts). */
    CONNECT_REDIRECT_URI: z.url({ protocol: /^https?$/ }).optional(),
    /** HMAC key for OAuth `state`; when unset one is derived from STRIPE_SECRET_KEY (HKDF). */
    CONNECT_STATE_SECRET: optionalString.refine((value) => value === undefined || value.length >= 32, 'must be at least 32 characters'),

    /** Major units, scaled by each currency's exponent. */
    TOPUP_MAX_AMOUNT: z.coerce.number().int().positive().default(10_000),
    /** Major units with up to 3 decimals (0.50, 10, 25), converted exactly per currency (src/domain/top-up/options.ts). */
    TOPUP_PRESET_AMOUNTS: csv.transform((values, ctx) => {
      const numbers = values.map((value) => (/^\d{1,15}(\.\d{1,3})?$/.test(value) ? Number(value) : NaN));
      if (numbers.some((n) => !(n > 0))) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of positive amounts in major units, up to 3 decimals (0.50,10,25)' });
        return z.NEVER;
      }
      return numbers;
    }),
    ACTIVITY_RETRY_BACKOFF: durationList,
    /**
     * How long an activity keeps backing off before its workflow stops and waits for an operator (NeedsAttention,
     * then a retry or skip): 3 days by default, like Stripe's own redelivery. Durations like 30s, 12h, 3d.
     */
    ACTIVITY_RETRY_MAX_ELAPSED: z
      .string()
      .optional()
      .transform((value, ctx) => {
        const ms = parseDurationMs(value ?? '3d');
        if (ms === undefined || ms < 1000) {
          ctx.addIssue({ code: 'custom', message: `expected a duration of at least 1s like 3d or 12h; got "${value}"` });
          return z.NEVER;
        }
        return ms;
      }),

    JWT_SECRET: optionalString,
    JWT_JWKS_URL: z.url().optional(),
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
    JWT_TENANT_CLAIM: z.string().default('tenant_id'),
    JWT_ROLE_CLAIM: z.string().default('role'),

    SMTP_URL: optionalString,
    MAIL_FROM: z.string().default('Payments <payments@localhost>'),
    TWILIO_ACCOUNT_SID: optionalString,
    TWILIO_AUTH_TOKEN: optionalString,
    TWILIO_API_KEY: optionalString,
    TWILIO_API_SECRET: optionalString,
    TWILIO_MESSAGING_SERVICE_SID: optionalString,
    TWILIO_FROM_NUMBER: optionalString,
    /** scheme://host[:port] replacing https://api.twilio.com (tests point it at Prism). Default: unset (Twilio). */
    TWILIO_API_BASE_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL like http://127.0.0.1:4010' })
      .optional()
      .transform((value) => (value === undefined ? undefined : new URL(value).origin)),
    /** HMAC key for unsubscribe links (src/messaging/links.ts); when unset one is derived from STRIPE_SECRET_KEY (HKDF). */
    MESSAGING_LINK_SECRET: optionalString.refine((value) => value === undefined || value.length >= 32, 'must be at least 32 characters'),
  });

/**
 * Rules that span variables, checked on the raw environment so they are reported together with every
 * single-variable problem rather than only after those are fixed.
 */
function crossFieldProblems(env: NodeJS.ProcessEnv): string[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  if (set('TEMPORAL_TLS_CERT_PATH') && !set('TEMPORAL_TLS_KEY_PATH')) problems.push('TEMPORAL_TLS_KEY_PATH: required when TEMPORAL_TLS_CERT_PATH is set');
  if (set('TEMPORAL_TLS_KEY_PATH') && !set('TEMPORAL_TLS_CERT_PATH')) problems.push('TEMPORAL_TLS_CERT_PATH: required when TEMPORAL_TLS_KEY_PATH is set');
  if (set('STRIPE_API_PORT') && !set('STRIPE_API_HOST')) problems.push('STRIPE_API_HOST: required when STRIPE_API_PORT is set');
  if (env.NODE_ENV === 'production' && !set('TEMPORAL_PAYLOAD_KEYS')) {
    problems.push('TEMPORAL_PAYLOAD_KEYS: required in production (workflow payloads would be stored unencrypted); e.g. k1:$(openssl rand -base64 32)');
  }
  return problems;
}

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the whole environment at once so an operator sees every problem in one go. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  const crossField = crossFieldProblems(env);
  if (result.success && crossField.length === 0) return result.data;
  const issues = result.success ? [] : result.error.issues;
  const problems = issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const message = issue.code === 'invalid_type' && env[name] === undefined ? 'is required but not set' : issue.message;
    return `${name}: ${message}`;
  });
  throw new ConfigError([...problems, ...crossField]);
}

/** For entry points: print the readable list and exit instead of a stack trace. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
