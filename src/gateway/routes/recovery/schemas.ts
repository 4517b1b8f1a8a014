import type { CampaignStatus } from '../../../domain/recovery/contracts.js';
import { CAMPAIGN_ID_PATTERN } from '../../../recovery/campaign-id.js';
import { timeZoneSchema } from '../../../recovery/schedule.js';
import { currency, e164Phone, metadataMap, minorUnits, pageLimit, text } from '../../schemas.js';
import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { z } from '../../zod.js';

const STATUSES = ['active', 'paused', 'snoozed', 'paid', 'cancelled', 'expired', 'exhausted'] as const satisfies readonly CampaignStatus[];

const createBody = z
  .object({
    transaction_reference: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'letters, digits and . _ : - only'),
    amount: minorUnits(),
    currency,
    customer: z
      .object({
        email: z.email().max(320).optional(),
        phone: e164Phone.optional(),
        time_zone: timeZoneSchema.optional(),
        id: text({ min: 1, max: 200 }).optional(),
        name: text({ min: 1, max: 200, trim: true }).optional(),
      })
      .strict()
      .refine((customer) => customer.email || customer.phone, 'an email or a phone number is required'),
    due_date: z.iso.date().optional(),
    metadata: metadataMap.optional(),
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

const idParams = z.object({ id: z.string().regex(CAMPAIGN_ID_PATTERN, 'not a recovery campaign id') });

/** An operator action on a running campaign: the same answers for each, its own body and summary. */
function actionContract<Body extends z.ZodType>(summary: string, body: Body) {
  return {
    summary,
    params: idParams,
    body,
    responses: {
      200: jsonResponse('The campaign after the action', campaignDetail),
      400: problemResponse('Invalid input (e.g. snooze until in the past)'),
      403: problemResponse('Not an admin'),
      404: problemResponse('Unknown campaign'),
      409: problemResponse('Not allowed in the campaign state (campaign_paid, campaign_active, …)'),
    },
  } satisfies RouteContract;
}

export const contracts = {
  startCampaign: {
    summary: 'Start a payment-recovery campaign for a transaction created through the API',
    body: createBody,
    responses: {
      201: jsonResponse('Campaign running (the same one for a repeated reference)', z.object({ id: z.string() }).openapi('RecoveryCreated')),
      400: problemResponse('Invalid input'),
      403: problemResponse('Needs an API key or an admin user'),
      409: problemResponse('campaign_finished (a campaign for this reference already ended), transaction_mismatch or transaction_paid'),
      503: problemResponse('Temporal unavailable; retry'),
    },
  },
  listCampaigns: {
    summary: 'Recovery campaigns, newest first',
    query: z.object({
      status: z.enum(STATUSES).optional(),
      customer: text({ min: 1, max: 320 }).optional().openapi({ description: 'Customer email, phone or id' }),
      limit: pageLimit(25),
    }),
    responses: { 200: jsonResponse('Campaigns', z.object({ data: z.array(campaignJson) }).openapi('RecoveryList')) },
  },
  getCampaign: {
    summary: 'A campaign: state, next step and per-message delivery status',
    params: idParams,
    responses: { 200: jsonResponse('The campaign', campaignDetail), 404: problemResponse('Unknown campaign') },
  },
  pause: actionContract('Pause a campaign (admin)', z.object({}).strict()),
  resume: actionContract('Resume a paused or snoozed campaign (admin)', z.object({}).strict()),
  snooze: actionContract('Snooze a campaign until a time (admin)', z.object({ until: z.iso.datetime({ offset: true }) }).strict()),
  cancel: actionContract('Cancel a campaign (admin)', z.object({ reason: text({ max: 500, trim: true }).optional() }).strict()),
  sendNow: actionContract('Send the next step now, regardless of its time (admin)', z.object({}).strict()),
  markPaid: actionContract(
    'Record a payment made outside Stripe and stop the campaign (admin)',
    z.object({ amount: minorUnits().optional(), reference: text({ max: 200, trim: true }).optional() }).strict(),
  ),
  getSchedule: {
    summary: "The tenant's recovery schedule (the default until one is saved)",
    // One closed object, not scheduleJson.extend(): that becomes an allOf of two closed objects no body can match.
    responses: {
      200: jsonResponse(
        'The schedule',
        z.object({ ...scheduleJson.shape, custom: z.boolean(), updated_at: z.string().nullable() }).strict().openapi('RecoveryScheduleSettings'),
      ),
    },
  },
  saveSchedule: {
    summary: "Replace the tenant's recovery schedule; running campaigns pick it up from their next step",
    body: scheduleJson,
    responses: { 200: jsonResponse('Saved', scheduleJson), 400: problemResponse('Invalid schedule'), 403: problemResponse('Not an admin') },
  },
} satisfies Record<string, RouteContract>;
