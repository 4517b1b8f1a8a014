import { allHandlersFinished, condition, continueAsNew, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { Campaign, reject } from './campaign.js';
import {
  cancelRecoveryUpdate,
  FINAL_STATUSES,
  markPaidRecoveryUpdate,
  pauseRecoveryUpdate,
  paymentReceivedSignal,
  recoveryStateQuery,
  resumeRecoveryUpdate,
  sendNowRecoveryUpdate,
  snoozeRecoveryUpdate,
  type RecoveryInput,
  type RecoveryState,
} from './messages.js';
import { ITEM_INSTRUMENT_PATCH, ONE_ACTIVITY_PER_STEP_PATCH, SCHEDULE_REFRESH_PATCH } from './patches.js';
import { cancelRefusal, DAY_MS, markPaidRefusal, pauseRefusal, plan, resumeRefusal, sendNowRefusal, snoozeRefusal, stepDueNow, wakeAt } from './rules.js';
import { runStep } from './steps.js';

export { ITEM_INSTRUMENT_PATCH, LEAN_ACTIONS_PATCH, ONE_ACTIVITY_PER_STEP_PATCH, REJECTED_INPUT_PATCH, SCHEDULE_REFRESH_PATCH } from './patches.js';

export async function recoveryWorkflow(input: RecoveryInput): Promise<RecoveryState> {
  const campaign = new Campaign(input);
  const { state, acts } = campaign;
  const carried = input.carried;

  setHandler(recoveryStateQuery, () => state);
  setHandler(paymentReceivedSignal, async (payment) => {
    if (campaign.isFinal()) return;
    campaign.recordPayment(payment);
    await campaign.persist();
  });
  setHandler(pauseRecoveryUpdate, () => campaign.operatorSetStatus('paused'), { validator: () => reject(pauseRefusal(state)) });
  setHandler(resumeRecoveryUpdate, () => campaign.operatorSetStatus('active'), { validator: () => reject(resumeRefusal(state)) });
  setHandler(snoozeRecoveryUpdate, ({ untilMs }) => campaign.operatorSetStatus('snoozed', untilMs), {
    validator: ({ untilMs }) => reject(snoozeRefusal(state, untilMs, campaign.clock)),
  });
  setHandler(
    cancelRecoveryUpdate,
    async ({ reason }) => {
      state.cancelReason = reason ?? null;
      return campaign.operatorSetStatus('cancelled');
    },
    { validator: (_request) => reject(cancelRefusal(state)) },
  );
  setHandler(
    sendNowRecoveryUpdate,
    async () => {
      campaign.sendNowRequested = true;
      campaign.changes++;
      await condition(() => !campaign.sendNowRequested || campaign.isFinal());
      return state;
    },
    { validator: () => reject(sendNowRefusal(state, campaign.sendNowRequested)) },
  );
  setHandler(
    markPaidRecoveryUpdate,
    async ({ amount, reference }) => {
      campaign.recordPayment({ via: 'manual', amount, reference });
      await campaign.persist();
      return state;
    },
    { validator: ({ amount }) => reject(markPaidRefusal(state, amount)) },
  );

  // ---- Start -------------------------------------------------------------------------------------------------
  /** False when recordCampaign was rejected: there is no row to update and no instrument to release. */
  let recordedRow = true;
  if (!carried) {
    try {
      const recorded = await acts.recordCampaign({
        tenantId: state.tenantId,
        campaignId: state.campaignId,
        item: state.item,
        amount: state.amount,
        currency: state.currency,
        customer: state.customer,
        metadata: input.metadata ?? {},
        ...(campaign.lean && !input.schedule ? { withSchedule: true } : {}),
      });
      campaign.advance(recorded.nowMs);
      if (recorded.schedule) state.schedule ??= recorded.schedule;
      if (FINAL_STATUSES.has(recorded.status) && state.status === 'active') state.status = recorded.status;
    } catch (error) {
      campaign.rejectedAtStart(error);
      recordedRow = false;
    }
  }
  if (!recordedRow) {
    await condition(allHandlersFinished);
    return state;
  }
  try {
    state.schedule ??= await acts.loadSchedule({ tenantId: state.tenantId });
    state.expiresAtMs ??= state.startedAtMs + state.schedule.expiryDays * DAY_MS;
  } catch (error) {
    campaign.rejectedAtStart(error);
  }
  // Lean runs leave it to the main loop (or the end), which upserts in this same workflow task.
  if (!campaign.lean) campaign.setSearchAttributes();

  /** The step number the schedule was last re-read for (v2). */
  let refreshedForStep = 0;
  /**
   * Synchronous on purpose: an extra `await` on the v1 path would reorder commands against update handlers and
   * break replay of old histories. Offsets stay relative to the campaign start, steps already handled (by offset)
   * are not sent again, and the expiry fixed at start stays.
   */
  const scheduleRefreshDue = (): boolean =>
    !input.schedule &&
    state.status !== 'paused' &&
    state.stepsRun > 0 &&
    refreshedForStep !== state.stepsRun + 1 &&
    patched(SCHEDULE_REFRESH_PATCH);

  // ---- Main loop ---------------------------------------------------------------------------------------------
  while (!campaign.isFinal()) {
    const seen = campaign.changes;
    // Writes queued by handlers land first; their results move the clock forward to (about) now.
    await campaign.persistChain;
    if (campaign.isFinal()) break;
    if (campaign.sendNowRequested) {
      if (state.status !== 'exhausted') await runStep(campaign, true);
      campaign.sendNowRequested = false;
      continue;
    }
    if (state.status === 'snoozed' && state.snoozedUntilMs !== null && state.snoozedUntilMs <= campaign.clock) {
      state.snoozedUntilMs = null;
      campaign.setStatus('active');
    }
    if (scheduleRefreshDue()) {
      refreshedForStep = state.stepsRun + 1;
      state.schedule = campaign.takeFreshSchedule() ?? (await acts.loadSchedule({ tenantId: state.tenantId }));
      if (campaign.isFinal()) continue;
    }
    // Only the read right after a step stands in for loadSchedule; a later refresh (after a pause) reads afresh.
    campaign.freshSchedule = undefined;
    state.nextStep = state.status === 'paused' ? null : plan(state, campaign.clock, campaign.timeZone);
    // A step due now writes its row (and search attributes) right after it runs: a plan written first would be
    // replaced seconds later, for two billed actions.
    if (!(stepDueNow(state, campaign.clock) && patched(ONE_ACTIVITY_PER_STEP_PATCH))) {
      campaign.setSearchAttributes();
      await campaign.persist();
      if (campaign.isFinal() || campaign.changes !== seen) continue;
    }
    const expiresAt = state.expiresAtMs!;
    const wakeAtMs = wakeAt(state, expiresAt);
    const waitMs = wakeAtMs - campaign.clock;
    if (waitMs > 0 && (await condition(() => campaign.changes !== seen || campaign.isFinal(), waitMs))) continue;
    campaign.advance(wakeAtMs);
    if (campaign.clock >= expiresAt) {
      if (state.status !== 'exhausted') campaign.setStatus('expired');
      break;
    }
    if (state.nextStep && campaign.clock >= state.nextStep.atMs && state.status !== 'paused') await runStep(campaign, false);
    if (workflowInfo().continueAsNewSuggested && !campaign.isFinal()) {
      await campaign.persistChain;
      await condition(allHandlersFinished);
      const { nextStep: _next, ...rest } = state;
      await continueAsNew<typeof recoveryWorkflow>({ ...input, schedule: state.schedule ?? undefined, carried: rest });
    }
  }

  campaign.setSearchAttributes();
  await campaign.persist();
  if (state.status !== 'paid' && patched(ITEM_INSTRUMENT_PATCH)) {
    await acts.releasePaymentInstrument({ tenantId: state.tenantId, item: state.item });
  }
  await condition(allHandlersFinished);
  log.info('recovery campaign finished', { campaignId: state.campaignId, status: state.status });
  return state;
}
