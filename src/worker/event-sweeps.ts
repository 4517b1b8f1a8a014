import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import { listConnectedAccounts } from '../db/connected-accounts.js';
import { PLATFORM_ACCOUNT } from '../db/event-cursors.js';
import type { Logger } from '../logger.js';
import { ensureEventSweepSchedule } from '../temporal/event-sweep-schedules.js';
import { retryScheduleFromConfig } from '../temporal/retry.js';

type SweepConfig = Pick<Config, 'STRIPE_EVENT_SWEEP_INTERVAL_MINUTES' | 'STRIPE_EVENT_SWEEP_INITIAL_LOOKBACK_HOURS' | 'TEMPORAL_TASK_QUEUE' | 'ACTIVITY_RETRY_BACKOFF'>;

/** The sweep schedule of one account, with this deployment's settings. */
export function sweepScheduleOptions(config: SweepConfig, account: string, tenantId?: string) {
  return {
    account,
    ...(tenantId ? { tenantId } : {}),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    intervalMinutes: config.STRIPE_EVENT_SWEEP_INTERVAL_MINUTES,
    initialLookbackHours: config.STRIPE_EVENT_SWEEP_INITIAL_LOOKBACK_HOURS,
    retry: retryScheduleFromConfig(config),
  };
}

/** At worker start: the platform account and every linked account have a sweep schedule (idempotent). */
export async function ensureEventSweepSchedules(client: Client, db: Db, config: SweepConfig, log: Logger): Promise<void> {
  if (config.STRIPE_EVENT_SWEEP_INTERVAL_MINUTES === 0) return;
  const accounts = [{ account: PLATFORM_ACCOUNT, tenantId: undefined as string | undefined }];
  for (const linked of await listConnectedAccounts(db)) accounts.push({ account: linked.stripeAccountId, tenantId: linked.tenantId });
  let created = 0;
  for (const { account, tenantId } of accounts) {
    if ((await ensureEventSweepSchedule(client, sweepScheduleOptions(config, account, tenantId))) === 'created') created++;
  }
  log.info({ accounts: accounts.length, created }, 'missed-event sweep schedules in place');
}
