import type { Client } from '@temporalio/client';
import type { Logger } from '../../../logger.js';
import { ensureEventSweepSchedule, sweepScheduleOptions, type SweepConfig } from '../../../temporal/event-sweep-schedules.js';
import { releaseParkedEvents } from '../../../webhooks/park.js';

/**
 * What follows a new link, both best effort (the link itself is committed): events parked for the account are
 * replayed (its holding workflow also checks hourly), and the account gets its missed-event sweep (the worker also
 * ensures every linked account's at start).
 */
export async function afterAccountLinked(temporal: Client, config: SweepConfig, tenantId: string, account: string, log: Logger): Promise<void> {
  try {
    const parked = await releaseParkedEvents(temporal, account, tenantId);
    if (config.STRIPE_EVENT_SWEEP_INTERVAL_MINUTES > 0) await ensureEventSweepSchedule(temporal, sweepScheduleOptions(config, account, tenantId));
    log.info({ tenantId, account, parked }, 'linked account: parked events released, sweep scheduled');
  } catch (error) {
    log.warn({ err: error, tenantId, account }, 'linked account follow-up failed; the hourly checks will catch up');
  }
}
