import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { findCampaign, findRecoverySchedule, insertCampaign, listCampaigns, saveRecoverySchedule, type CampaignRecord } from '../../../db/recovery-campaigns.js';
import { ensureTransaction } from '../../../db/transactions.js';
import { returnUrlConfig, returnUrlsFor } from '../../../payments/return-urls.js';
import { recoveryScheduleSchema } from '../../../recovery/schedule.js';
import { startRecoveryCampaign } from '../../../recovery/start.js';
import { retryScheduleFromConfig } from '../../../temporal/retry.js';
import { recoveryWorkflowId } from '../../../temporal/workflow-ids.js';
import { cancelRecoveryUpdate, markPaidRecoveryUpdate, pauseRecoveryUpdate, RECOVERY_REJECTED, recoveryStateQuery, resumeRecoveryUpdate, sendNowRecoveryUpdate, snoozeRecoveryUpdate, type RecoveryState } from '../../../../workflows/recovery/messages.js';
import type { Principal } from '../../auth.js';
import { problems } from '../../problem.js';
import type { Handlers, RouteDeps } from '../../route.js';
import { campaignDetailJson, campaignJson, scheduleJson } from './mappers.js';
import type { contracts } from './schemas.js';

/** The `code` a workflow validator put in its rejection, if this is one. */
function rejectionCode(error: WorkflowUpdateFailedError): string | undefined {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure && cause.type === RECOVERY_REJECTED) {
    const detail = cause.details?.[0] as { code?: unknown } | undefined;
    return typeof detail?.code === 'string' ? detail.code : 'invalid_transition';
  }
  return undefined;
}

/** API field names for the schema's, in validation errors. */
const SCHEDULE_FIELDS: Record<string, string> = { quietHours: 'quiet_hours', maxAttempts: 'max_attempts', expiryDays: 'expiry_days', offsetMinutes: 'offset_minutes' };

/** The action as its URL names it (send-now, mark-paid): the word a refusal uses. */
type ActionName = 'pause' | 'resume' | 'snooze' | 'cancel' | 'send-now' | 'mark-paid';

export function recoveryHandlers({ config, db, temporal }: RouteDeps): Handlers<typeof contracts> {
  const retry = retryScheduleFromConfig(config);
  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;

  async function load(tenantId: string, id: string): Promise<CampaignRecord> {
    const campaign = await findCampaign(db, tenantId, id);
    if (!campaign) throw problems.notFound('recovery campaign');
    return campaign;
  }

  async function liveState(tenantId: string, id: string): Promise<RecoveryState | undefined> {
    try {
      const handle = temporal.workflow.getHandle(recoveryWorkflowId(tenantId, id));
      return await temporal.withDeadline(Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS, () => handle.query(recoveryStateQuery));
    } catch {
      return undefined; // closed and purged, or Temporal unreachable: the stored row is the answer
    }
  }

  /**
   * Runs an operator action as a workflow update and answers with the campaign after it. `validate` runs once the
   * campaign is found, so an unknown campaign is 404 whatever the body says.
   */
  async function act(
    action: ActionName,
    principal: Principal,
    id: string,
    update: (handle: WorkflowHandle) => Promise<RecoveryState>,
    validate?: () => void,
  ): Promise<unknown> {
    const campaign = await load(principal.tenantId, id);
    validate?.();
    const handle = temporal.workflow.getHandle(recoveryWorkflowId(principal.tenantId, id));
    let state: RecoveryState;
    try {
      state = await temporal.withDeadline(deadline(), () => update(handle));
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const code = rejectionCode(error);
        if (code) throw problems.conflict(code, (error.cause as Error).message);
        throw error;
      }
      if (error instanceof WorkflowNotFoundError) {
        // The workflow already ended: the row says how.
        const current = await load(principal.tenantId, id);
        throw problems.conflict(`campaign_${current.status}`, `The campaign is ${current.status}; it cannot ${action.replace('-', ' ')}.`);
      }
      throw error;
    }
    return campaignDetailJson((await findCampaign(db, principal.tenantId, id)) ?? campaign, state);
  }

  return {
    async startCampaign({ body, principal }, res) {
      // The campaign chases the transaction itself: its one Payment Link, shared with POST /v1/payment-links.
      const ensured = await ensureTransaction(db, {
        tenantId: principal.tenantId,
        ref: body.transaction_reference,
        amount: body.amount,
        currency: body.currency,
        customerEmail: body.customer.email ?? null,
        customerPhone: body.customer.phone ?? null,
        metadata: body.metadata ?? {},
      });
      if (ensured.outcome === 'mismatch') {
        throw problems.conflict('transaction_mismatch', `Transaction ${body.transaction_reference} exists for another amount or currency.`);
      }
      if (ensured.transaction.status !== 'open') throw problems.conflict('transaction_paid', `Transaction ${body.transaction_reference} is already paid.`);
      const { successUrl } = await returnUrlsFor(db, returnUrlConfig(config), principal.tenantId, { kind: 'transaction', ref: body.transaction_reference });
      const item = { kind: 'transaction' as const, ref: body.transaction_reference };
      const customer = {
        email: body.customer.email ?? null,
        phone: body.customer.phone ?? null,
        timeZone: body.customer.time_zone ?? null,
        id: body.customer.id ?? null,
        name: body.customer.name ?? null,
      };
      const result = await temporal.withDeadline(deadline(), () =>
        startRecoveryCampaign(
          temporal,
          { taskQueue: config.TEMPORAL_TASK_QUEUE, retry, successUrl },
          {
            tenantId: principal.tenantId,
            item,
            amount: body.amount,
            currency: body.currency,
            customer,
            ...(body.due_date ? { dueDate: body.due_date } : {}),
            metadata: body.metadata ?? {},
          },
        ),
      );
      if (result.outcome === 'finished') throw problems.conflict('campaign_finished', 'A recovery campaign for this reference already ended.');
      // The row the workflow's first activity writes, written now (idempotent) so a GET right after the 201 finds it.
      await insertCampaign(db, {
        tenantId: principal.tenantId,
        campaignId: result.campaignId,
        item,
        amount: body.amount,
        currency: body.currency,
        customer,
        metadata: body.metadata ?? {},
      });
      res.status(201).json({ id: result.campaignId });
    },

    async listCampaigns({ query, principal }, res) {
      const rows = await listCampaigns(db, { tenantId: principal.tenantId, status: query.status, customer: query.customer, limit: query.limit });
      res.json({ data: rows.map(campaignJson) });
    },

    async getCampaign({ params, principal }, res) {
      const campaign = await load(principal.tenantId, params.id);
      res.json(campaignDetailJson(campaign, await liveState(principal.tenantId, params.id)));
    },

    async pause({ params, principal }, res) {
      res.json(await act('pause', principal, params.id, (handle) => handle.executeUpdate(pauseRecoveryUpdate)));
    },

    async resume({ params, principal }, res) {
      res.json(await act('resume', principal, params.id, (handle) => handle.executeUpdate(resumeRecoveryUpdate)));
    },

    async snooze({ params, body, principal }, res) {
      const untilMs = Date.parse(body.until);
      const inFuture = () => {
        if (untilMs <= Date.now()) throw problems.validation([{ field: 'body.until', message: 'must be in the future' }]);
      };
      res.json(await act('snooze', principal, params.id, (handle) => handle.executeUpdate(snoozeRecoveryUpdate, { args: [{ untilMs }] }), inFuture));
    },

    async cancel({ params, body, principal }, res) {
      res.json(await act('cancel', principal, params.id, (handle) => handle.executeUpdate(cancelRecoveryUpdate, { args: [{ reason: body.reason }] })));
    },

    async sendNow({ params, principal }, res) {
      res.json(await act('send-now', principal, params.id, (handle) => handle.executeUpdate(sendNowRecoveryUpdate)));
    },

    async markPaid({ params, body, principal }, res) {
      const request = { amount: body.amount, reference: body.reference };
      res.json(await act('mark-paid', principal, params.id, (handle) => handle.executeUpdate(markPaidRecoveryUpdate, { args: [request] })));
    },

    async getSchedule({ principal }, res) {
      const { schedule, custom, updatedAt } = await findRecoverySchedule(db, principal.tenantId);
      res.json({ ...scheduleJson(schedule), custom, updated_at: updatedAt });
    },

    async saveSchedule({ body, principal }, res) {
      const parsed = recoveryScheduleSchema.safeParse({
        steps: body.steps.map((step) => ({ offsetMinutes: step.offset_minutes, channels: step.channels })),
        quietHours: body.quiet_hours,
        maxAttempts: body.max_attempts,
        expiryDays: body.expiry_days,
      });
      if (!parsed.success) {
        const field = (key: string) => SCHEDULE_FIELDS[key] ?? key;
        throw problems.validation(parsed.error.issues.map((issue) => ({ field: ['body', ...issue.path.map((p) => field(String(p)))].join('.'), message: issue.message })));
      }
      res.json(scheduleJson(await saveRecoverySchedule(db, principal.tenantId, parsed.data)));
    },
  };
}
