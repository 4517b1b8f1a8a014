import { readFileSync } from 'node:fs';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../config.js';
import { temporalDataConverter } from './codec/index.js';

type TemporalConfig = Pick<
  Config,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CERT_PATH' | 'TEMPORAL_TLS_KEY_PATH' | 'TEMPORAL_API_KEY'
>;
type TemporalClientConfig = TemporalConfig & Pick<Config, 'TEMPORAL_PAYLOAD_KEYS'>;

function tlsOptions(config: TemporalConfig) {
  if (config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH) {
    return { clientCertPair: { crt: readFileSync(config.TEMPORAL_TLS_CERT_PATH), key: readFileSync(config.TEMPORAL_TLS_KEY_PATH) } };
  }
  // Temporal Cloud API keys require TLS even without a client certificate.
  return config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? true : undefined;
}

export function connectionOptions(config: TemporalConfig): ConnectionOptions & NativeConnectionOptions {
  const tls = tlsOptions(config);
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(tls ? { tls } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY, metadata: { 'temporal-namespace': config.TEMPORAL_NAMESPACE } } : {}),
  } as ConnectionOptions & NativeConnectionOptions;
}

/**
 * Lazy: the gateway starts (and answers /healthz, 503s) even while Temporal is unreachable. Its calls carry
 * short deadlines and the caller (Stripe, a frontend) retries, so the client retries only briefly itself;
 * the default (10 attempts) keeps retry timers alive for seconds after a request has already answered 503.
 */
export function createTemporalClient(config: TemporalClientConfig): Client {
  const connection = Connection.lazy({ ...connectionOptions(config), interceptors: [gatewayRetryInterceptor()] });
  // Payloads are encrypted (TEMPORAL_PAYLOAD_KEYS) like everywhere else: src/temporal/codec/.
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter(config) });
}

export function gatewayRetryInterceptor() {
  return makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }));
}
