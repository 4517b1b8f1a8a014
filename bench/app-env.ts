/** The production-mode environment every bench process loads the app's config from. */
import { randomBytes } from 'node:crypto';

export const BENCH_WEBHOOK_SECRET = 'whsec_bench_0123456789abcdef0123456789abcdef';
export const BENCH_STRIPE_API_VERSION = '2026-10-28.endive';

export interface BenchAppEnvOptions {
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace?: string;
  /** Unique per run where workflows start: those left by earlier runs then never matter. */
  taskQueue: string;
  logLevel?: string;
}

/** Production requires payload encryption: a fresh key per call, used alike by every scenario sharing the env. */
export function benchAppEnv(options: BenchAppEnvOptions): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: options.logLevel ?? 'silent',
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress,
    ...(options.temporalNamespace ? { TEMPORAL_NAMESPACE: options.temporalNamespace } : {}),
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
    STRIPE_API_VERSION: BENCH_STRIPE_API_VERSION,
    TEMPORAL_PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  };
}
