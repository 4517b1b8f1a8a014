import { pino, type Logger } from 'pino';

/** Secrets and card data never reach the logs, whatever a caller passes in. */
const REDACT = [
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.client_secret',
  '*.card',
  '*.number',
  '*.cvc',
];

export function createLogger(level: string, name = 'payments'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } });
}

export type { Logger };
