import { proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createEventSweepActivities } from '../../activities/event-sweep.js';
import { activityOptions } from '../activity-options.js';
import { StatusKey, TenantIdKey } from '../../src/domain/search-attributes.js';
import { eventSweepStateQuery, type EventSweepInput, type EventSweepState } from './messages.js';

type SweepActivities = ReturnType<typeof createEventSweepActivities>;

/** One missed-event sweep of one Stripe account, started by its Temporal Schedule (hourly by default). */
export async function eventSweepWorkflow(input: EventSweepInput) {
  const state: EventSweepState = { account: input.account, status: 'sweeping' };
  setHandler(eventSweepStateQuery, () => state);
  const { sweepStripeEvents } = proxyActivities<SweepActivities>({
    ...activityOptions(input.retry),
    // Listing 30 days of a busy account takes a while; the heartbeat shows it is alive.
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '1 minute',
  });
  const result = await sweepStripeEvents({ account: input.account, initialLookbackSeconds: input.initialLookbackSeconds });
  state.result = result;
  state.status = result.routed > 0 ? 'applied_missed_events' : 'nothing_missed';
  upsertSearchAttributes([{ key: StatusKey, value: state.status }, ...(input.tenantId ? [{ key: TenantIdKey, value: input.tenantId }] : [])]);
  return result;
}
