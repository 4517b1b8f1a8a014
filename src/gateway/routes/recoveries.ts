import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Router } from 'express';
import type { CampaignStatus } from '../../../activities/recovery-types.js';
import { findCampaign, findRecoverySchedule, insertCampaign, listCampaigns, saveRecoverySchedule, type CampaignRecord } from '../../db/recoveries.js';
import { CAMPAIGN_ID_PATTERN } from '../../recoveries/campaign-id.js';
import { recoveryScheduleSchema, timeZoneSchema, type RecoverySchedule } from '../../recoveries/schedule.js';
import { startRecoveryCampaign } from '../../recoveries/start.js';
import { ensureTransaction } from '../../db/transactions.js';
import { returnUrlConfig, returnUrlsFor } from '../../payments/return-urls.js';
import { retryScheduleFromConfig } from '../../temporal/retry.js';
import { recoveryWorkflowId } from '../../temporal/workflow-ids.js';
import {
  cancelRecoveryUpdate,
  markPaidRecoveryUpdate,
  pauseRecoveryUpdate,
  RECOVERY_REJECTED,
  recoveryStateQuery,
  resumeRecoveryUpdate,
  sendNowRecoveryUpdate,
  snoozeRecoveryUpdate,
  type RecoveryState,
} from '../../../workflows/recovery.js';
import { requireBackOffice, requireRole } from '../auth.js';
import { problems } from '../problem.js';
import { addRoute, jsonResponse, problemResponse, type RouteDeps } from '../route.js';
import { z } from '../zod.js';
import { currency, metadataMap, minorUnits, text } from '../inputs.js';

const STATUSES = ['active', 'paused', 'snoozed', 'paid', 'cancelled', 'expired', 'exhausted'] as const satisfies readonly CampaignStatus[];

const metadata = metadataMap;

const createBody = z
  .object({
    transaction_reference: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'letters, digits and . _ : - only'),
    amount: minorUnits(),
    currency,
    customer: z
      .object({
        email: z.email().max(320).optional(),
        phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +4915112345678').optional(),
        time_zone: timeZoneSchema.optional(),
        id: text({ min: 1, max: 200 }).optional(),
        name: text({ min: 1, max: 200, trim: true }).optional(),
      })
      .strict()
      .refine((customer) => customer.email || customer.phone, 'an email or a phone number is required'),
    due_date: z.iso.date().optional(),
    metadata: metadata.optional(),
  })
  .strict()
  .openapi('CreateRecovery');

const messageJson = z.object({
  step: z.number().int(),
  channel: z.enum(['email', 'sms']),
  at: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  fallback_for: z.string().optional(),
});
const campaignJson = z
  .object({
    id: z.string(),
    item_kind: z.string(),
    item_ref: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    customer: z.object({ email: z.string().nullable(), phone: z.string().nullable(), time_zone: z.string().nullable(), id: z.string().nullable() }),
    status: z.enum(STATUSES),
    attempts: z.number().int(),
    next_step_at: z.string().nullable(),
    recovered_amount: z.number().int().nullable(),
    paid_at: z.string().nullable(),
    paid_via: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('RecoveryCampaign');
const campaignDetail = campaignJson
  .extend({
    next_step: z.object({ number: z.number().int(), channels: z.array(z.string()), due_at: z.string(), at: z.string() }).nullable(),
    snoozed_until: z.string().nullable(),
    disabled_channels: z.record(z.string(), z.string()),
    messages: z.array(messageJson),
    live: z.boolean().openapi({ description: 'Whether state came from the running workflow (false: the stored row).' }),
  })
  .openapi('RecoveryCampaignDetail');

const scheduleJson = z
  .object({
    steps: z
      .array(z.object({ offset_minutes: z.number().int(), channels: z.array(z.enum(['email', 'sms'])) }).strict())
      .min(1)
      .max(20)
      .openapi({ description: 'Minutes after the campaign started, and the channels to use.' }),
    quiet_hours: z.object({ start: z.string(), end: z.string() }).strict().nullable().openapi({ description: 'Customer-local HH:MM window; null = none.' }),
    max_attempts: z.number().int(),
    expiry_days: z.number().int(),
  })
  .strict()
  .openapi('RecoverySchedule');

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

function toJson(campaign: CampaignRecord) {
  return {
    id: campaign.id,
    item_kind: campaign.itemKind,
    item_ref: campaign.itemRef,
    amount: campaign.amount,
    currency: campaign.currency,
    customer: { email: campaign.customerEmail, phone: campaign.customerPhone, time_zone: campaign.customerTimeZone, id: campaign.customerId },
    status: campaign.status,
    attempts: campaign.attempts,
    next_step_at: campaign.nextStepAt,
    recovered_amount: campaign.recoveredAmount,
    paid_at: campaign.paidAt,
    paid_via: campaign.paidVia,
    metadata: campaign.metadata,
    created_at: campaign.createdAt,
    updated_at: campaign.updatedAt,
  };
}

function messagesJson(messages: CampaignRecord['messages']) {
  return messages.map((m) => ({
    step: m.step,
    channel: m.channel,
    at: new Date(m.atMs).toISOString(),
    status: m.outcome.status,
    ...(m.outcome.status === 'skipped' ? { reason: m.outcome.reason } : {}),
    ...(m.outcome.status === 'failed' ? { reason: m.outcome.error } : {}),
    ...(m.fallbackFor ? { fallback_for: m.fallbackFor } : {}),
  }));
}

function detailJson(campaign: CampaignRecord, live: RecoveryState | undefined) {
  const base = toJson(campaign);
  if (!live) return { ...base, next_step: null, snoozed_until: null, disabled_channels: {}, messages: messagesJson(campaign.messages), live: false };
  return {
    ...base,
    status: live.status,
    attempts: live.attempts,
    next_step_at: iso(live.nextStep?.atMs),
    recovered_amount: live.recoveredAmount,
    paid_at: iso(live.paidAtMs),
    paid_via: live.paidVia,
    next_step: live.nextStep
      ? { number: live.nextStep.number, channels: live.nextStep.channels, due_at: iso(live.nextStep.dueAtMs)!, at: iso(live.nextStep.atMs)! }
      : null,
    snoozed_until: iso(live.snoozedUntilMs),
    disabled_channels: live.disabledChannels,
    messages: messagesJson(live.messages),
    live: true,
  };
}

const scheduleToJson = (schedule: RecoverySchedule) => ({
  steps: schedule.steps.map((step) => ({ offset_minutes: step.offsetMinutes, channels: step.channels })),
  quiet_hours: schedule.quietHours,
  max_attempts: schedule.maxAttempts,
  expiry_days: schedule.expiryDays,
});

/** The `code` a workflow validator put in its rejection, if this is one. */
function rejectionCode(error: WorkflowUpdateFailedError): string | undefined {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure && cause.type === RECOVERY_REJECTED) {
    const detail = cause.details?.[0] as { code?: unknown } | undefined;
    return typeof detail?.code === 'string' ? detail.code : 'invalid_transition';
  }
  return undefined;
}

type Action = 'pause' | 'resume' | 'snooze' | 'cancel' | 'send-now' | 'mark-paid';

export function recoveryRoutes(registry: OpenAPIRegistry, { config, db, temporal, authenticate, writeLimit }: RouteDeps): Router {
  const router = Router();
  const retry = retryScheduleFromConfig(config);
  const tags = ['Recoveries'];
  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;
  const idParams = z.object({ id: z.string().regex(CAMPAIGN_ID_PATTERN, 'not a recovery campaign id') });

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

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/recoveries',
      summary: 'Start a payment-recovery campaign for a transaction created through the API',
      tags,
      body: createBody,
      middleware: [authenticate, requireBackOffice(), writeLimit],
      responses: {
        201: jsonResponse('Campaign running (the same one for a repeated reference)', z.object({ id: z.string() }).openapi('RecoveryCreated')),
        400: problemResponse('Invalid input'),
        403: problemResponse('Needs an API key or an admin user'),
        409: problemResponse('campaign_finished (a campaign for this reference already ended), transaction_mismatch or transaction_paid'),
        503: problemResponse('Temporal unavailable; retry'),
      },
    },
    async ({ body, principal }, res) => {
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
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/recoveries',
      summary: 'Recovery campaigns, newest first',
      tags,
      query: z.object({
        status: z.enum(STATUSES).optional(),
        customer: text({ min: 1, max: 320 }).optional().openapi({ description: 'Customer email, phone or id' }),
        limit: z.coerce.number().int().min(1).max(100).default(25),
      }),
      middleware: [authenticate, requireBackOffice()],
      responses: { 200: jsonResponse('Campaigns', z.object({ data: z.array(campaignJson) }).openapi('RecoveryList')) },
    },
    async ({ query, principal }, res) => {
      const rows = await listCampaigns(db, { tenantId: principal.tenantId, status: query.status, customer: query.customer, limit: query.limit });
      res.json({ data: rows.map(toJson) });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/recoveries/{id}',
      summary: 'A campaign: state, next step and per-message delivery status',
      tags,
      params: idParams,
      middleware: [authenticate, requireBackOffice()],
      responses: { 200: jsonResponse('The campaign', campaignDetail), 404: problemResponse('Unknown campaign') },
    },
    async ({ params, principal }, res) => {
      const campaign = await load(principal.tenantId, params.id);
      res.json(detailJson(campaign, await liveState(principal.tenantId, params.id)));
    },
  );

  const actionBodies = {
    pause: z.object({}).strict(),
    resume: z.object({}).strict(),
    snooze: z.object({ until: z.iso.datetime({ offset: true }) }).strict(),
    cancel: z.object({ reason: text({ max: 500, trim: true }).optional() }).strict(),
    'send-now': z.object({}).strict(),
    'mark-paid': z
      .object({ amount: minorUnits().optional(), reference: text({ max: 200, trim: true }).optional() })
      .strict(),
  } satisfies Record<Action, z.ZodType>;

  const summaries: Record<Action, string> = {
    pause: 'Pause a campaign (admin)',
    resume: 'Resume a paused or snoozed campaign (admin)',
    snooze: 'Snooze a campaign until a time (admin)',
    cancel: 'Cancel a campaign (admin)',
    'send-now': 'Send the next step now, regardless of its time (admin)',
    'mark-paid': 'Record a payment made outside Stripe and stop the campaign (admin)',
  };

  for (const action of Object.keys(actionBodies) as Action[]) {
    addRoute(
      router,
      registry,
      {
        method: 'post',
        path: `/v1/recoveries/{id}/${action}`,
        summary: summaries[action],
        tags,
        params: idParams,
        body: actionBodies[action] as z.ZodType,
        middleware: [authenticate, requireRole('admin'), writeLimit],
        responses: {
          200: jsonResponse('The campaign after the action', campaignDetail),
          400: problemResponse('Invalid input (e.g. snooze until in the past)'),
          403: problemResponse('Not an admin'),
          404: problemResponse('Unknown campaign'),
          409: problemResponse('Not allowed in the campaign state (campaign_paid, campaign_active, …)'),
        },
      },
      async ({ params, principal, body }, res) => {
        const campaign = await load(principal.tenantId, params.id);
        const handle = temporal.workflow.getHandle(recoveryWorkflowId(principal.tenantId, params.id));
        const input = (body ?? {}) as { until?: string; reason?: string; amount?: number; reference?: string };
        if (action === 'snooze' && Date.parse(input.until!) <= Date.now()) {
          throw problems.validation([{ field: 'body.until', message: 'must be in the future' }]);
        }
        let state: RecoveryState;
        try {
          state = await temporal.withDeadline(deadline(), () => {
            switch (action) {
              case 'pause':
                return handle.executeUpdate(pauseRecoveryUpdate);
              case 'resume':
                return handle.executeUpdate(resumeRecoveryUpdate);
              case 'snooze':
                return handle.executeUpdate(snoozeRecoveryUpdate, { args: [{ untilMs: Date.parse(input.until!) }] });
              case 'cancel':
                return handle.executeUpdate(cancelRecoveryUpdate, { args: [{ reason: input.reason }] });
              case 'send-now':
                return handle.executeUpdate(sendNowRecoveryUpdate);
              case 'mark-paid':
                return handle.executeUpdate(markPaidRecoveryUpdate, { args: [{ amount: input.amount, reference: input.reference }] });
            }
          });
        } catch (error) {
          if (error instanceof WorkflowUpdateFailedError) {
            const code = rejectionCode(error);
            if (code) throw problems.conflict(code, (error.cause as Error).message);
            throw error;
          }
          if (error instanceof WorkflowNotFoundError) {
            // The workflow already ended: the row says how.
            const current = await load(principal.tenantId, params.id);
            throw problems.conflict(`campaign_${current.status}`, `The campaign is ${current.status}; it cannot ${action.replace('-', ' ')}.`);
          }
          throw error;
        }
        res.json(detailJson((await findCampaign(db, principal.tenantId, params.id)) ?? campaign, state));
      },
    );
  }

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/admin/recovery-schedule',
      summary: "The tenant's recovery schedule (the default until one is saved)",
      tags,
      middleware: [authenticate, requireRole('admin')],
      // One closed object, not scheduleJson.extend(): that becomes an allOf of two closed objects no body can match.
      responses: {
        200: jsonResponse(
          'The schedule',
          z.object({ ...scheduleJson.shape, custom: z.boolean(), updated_at: z.string().nullable() }).strict().openapi('RecoveryScheduleSettings'),
        ),
      },
    },
    async ({ principal }, res) => {
      const { schedule, custom, updatedAt } = await findRecoverySchedule(db, principal.tenantId);
      res.json({ ...scheduleToJson(schedule), custom, updated_at: updatedAt });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/admin/recovery-schedule',
      summary: "Replace the tenant's recovery schedule; running campaigns pick it up from their next step",
      tags,
      body: scheduleJson,
      middleware: [authenticate, requireRole('admin'), writeLimit],
      responses: { 200: jsonResponse('Saved', scheduleJson), 400: problemResponse('Invalid schedule'), 403: problemResponse('Not an admin') },
    },
    async ({ body, principal }, res) => {
      const parsed = recoveryScheduleSchema.safeParse({
        steps: body.steps.map((step) => ({ offsetMinutes: step.offset_minutes, channels: step.channels })),
        quietHours: body.quiet_hours,
        maxAttempts: body.max_attempts,
        expiryDays: body.expiry_days,
      });
      if (!parsed.success) {
        const field = (key: string) => ({ quietHours: 'quiet_hours', maxAttempts: 'max_attempts', expiryDays: 'expiry_days', offsetMinutes: 'offset_minutes' })[key] ?? key;
        throw problems.validation(parsed.error.issues.map((issue) => ({ field: ['body', ...issue.path.map((p) => field(String(p)))].join('.'), message: issue.message })));
      }
      res.json(scheduleToJson(await saveRecoverySchedule(db, principal.tenantId, parsed.data)));
    },
  );

  return router;
}

