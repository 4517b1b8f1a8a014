import type { Config } from '../config.js';
import type { RetrySchedule } from '../domain/retry/schedule.js';

export function retryScheduleFromConfig(config: Pick<Config, 'ACTIVITY_RETRY_BACKOFF'>): RetrySchedule {
  return { intervalsMs: config.ACTIVITY_RETRY_BACKOFF };
}
