import type { Config } from '../config.js';
import type { RetrySchedule } from '../domain/retry/schedule.js';

export function retryScheduleFromConfig(config: Pick<Config, 'ACTIVITY_RETRY_BACKOFF'> & Partial<Pick<Config, 'ACTIVITY_RETRY_MAX_ELAPSED'>>): RetrySchedule {
  return { intervalsMs: config.ACTIVITY_RETRY_BACKOFF, ...(config.ACTIVITY_RETRY_MAX_ELAPSED !== undefined ? { maxElapsedMs: config.ACTIVITY_RETRY_MAX_ELAPSED } : {}) };
}
