import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger.js';

const TEMPORAL_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };

/**
 * The Temporal SDK's own log lines (activity and workflow `log`, worker warnings such as a failed activity and its
 * error message) through our pino logger, so they get the same redaction of personal data as every other line.
 */
export function temporalRuntimeLogger(log: Logger, level: string): DefaultLogger {
  return new DefaultLogger(TEMPORAL_LEVELS[level] ?? 'INFO', (entry) => {
    const method = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    log[method]({ ...entry.meta, source: 'temporal-sdk' }, entry.message);
  });
}
