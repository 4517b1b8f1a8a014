import { Attention } from '../shared/attention.js';
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
  // A skipped sweep is safe: the next one starts at the same cursor.
  const { sweepStripeEvents } = new Attention(new Set(['sweepStripeEvents'])).wrap(proxyActivities<SweepActivities>({
    ...activityOptions(input.retry),
    // Listing 30 days of a busy account takes a while; the heartbeat shows it is alive.
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '1 minute',
  }));
  const result = (await sweepStripeEvents({ account: input.account, initialLookbackSeconds: input.initialLookbackSeconds })) ?? { listed: 0, dispatched: 0, routed: 0, ignored: 0 };
  state.result = result;
  state.status = result.routed > 0 ? 'applied_missed_events' : 'nothing_missed';
  upsertSearchAttributes([{ key: StatusKey, value: state.status }, ...(input.tenantId ? [{ key: TenantIdKey, value: input.tenantId }] : [])]);
  return result;
}
