import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection.js';
import { listConnectedAccounts } from '../db/connected-accounts.js';
import { PLATFORM_ACCOUNT } from '../db/event-cursors.js';
import type { Logger } from '../logger.js';
import { ensureEventSweepSchedule, sweepScheduleOptions, type SweepConfig } from '../temporal/event-sweep-schedules.js';

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
