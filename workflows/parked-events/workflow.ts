import { Attention } from '../shared/attention.js';
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createParkedEventActivities } from '../../activities/parked-events.js';
import { AttentionReasonKey, NeedsAttentionKey, StatusKey } from '../../src/domain/search-attributes.js';
import { activityOptions } from '../activity-options.js';
import {
  PLATFORM_ACCOUNT,
  accountLinkedSignal,
  parkedEventsStateQuery,
  parkEventSignal,
  replayParkedEventsUpdate,
  type ParkedEventsInput,
  type ParkedEventsState,
  type ReplaySummary,
} from './messages.js';
import { attentionReason, hold } from './rules.js';

type ParkedEventActivities = ReturnType<typeof createParkedEventActivities>;

const LINK_CHECK_INTERVAL = '1 hour';

/**
 * Holds Stripe events that cannot be routed yet (an account not linked to a tenant, a platform invoice naming no
 * tenant) instead of dropping them: one workflow per account, visible as NeedsAttention. Linking the account
 * replays every held event through the normal handlers.
 */
export async function parkedEventsWorkflow(input: ParkedEventsInput): Promise<ParkedEventsState> {
  const state: ParkedEventsState = { account: input.account, status: 'holding', held: input.held ?? [], dropped: input.dropped ?? 0, replays: [] };
  // Skipping the database look only means waiting for the next one (or the link signal).
  const acts = new Attention(new Set(['findAccountTenant'])).wrap(
    proxyActivities<ParkedEventActivities>({ ...activityOptions(input.retry), startToCloseTimeout: '10 minutes', heartbeatTimeout: '1 minute' }),
  );
  let linked = false;

  const showAttention = () => {
    const reason = attentionReason(state);
    upsertSearchAttributes([
      { key: StatusKey, value: state.status },
      { key: NeedsAttentionKey, value: reason !== undefined },
      { key: AttentionReasonKey, value: reason ?? 'none' },
    ]);
  };
  const replay = async (): Promise<ReplaySummary> => {
    const batch = state.held.splice(0);
    state.status = 'replaying';
    const summary = batch.length === 0 ? { replayed: 0, routed: 0, ignored: 0, missing: 0 } : await acts.replayParkedEvents({ account: input.account, eventIds: batch.map((event) => event.eventId) });
    state.replays.push(summary);
    state.status = 'holding';
    showAttention();
    return summary;
  };

  setHandler(parkEventSignal, (event) => {
    if (hold(state, event) !== 'duplicate') showAttention();
  });
  setHandler(accountLinkedSignal, () => {
    linked = true;
  });
  setHandler(replayParkedEventsUpdate, replay);
  setHandler(parkedEventsStateQuery, () => state);
  showAttention();

  // The link signal is sent best-effort by the Connect callback; an hourly look at the database backs it up.
  while (!linked && !workflowInfo().continueAsNewSuggested) {
    const signalled = await condition(() => linked || workflowInfo().continueAsNewSuggested, LINK_CHECK_INTERVAL);
    if (!signalled && input.account !== PLATFORM_ACCOUNT && (await acts.findAccountTenant({ account: input.account })) != null) linked = true;
  }
  if (!linked) {
    await condition(allHandlersFinished);
    return continueAsNew<typeof parkedEventsWorkflow>({ account: input.account, retry: input.retry, held: state.held, dropped: state.dropped });
  }
  await condition(allHandlersFinished);
  // An event parked while the link was being committed arrives after the signal: replay until nothing is held.
  do await replay();
  while (state.held.length > 0);
  state.status = 'released';
  showAttention();
  return state;
}
