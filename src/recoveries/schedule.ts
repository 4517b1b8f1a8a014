/**
 * Recovery campaign schedules: what is sent when, per tenant. Pure (zod only), shared by the gateway (PUT
 * validation), the repository (stored jsonb is re-validated on read) and, as types, the workflow.
 */
import { z } from 'zod';
import type { Channel } from '../messaging/types.js';
import { isValidTimeZone } from '../../workflows/recovery-time.js';

export const CHANNELS = ['email', 'sms'] as const satisfies readonly Channel[];

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24 h HH:MM time');

export const scheduleStepSchema = z
  .object({
    /** Minutes after the campaign started. */
    offsetMinutes: z.number().int().min(0).max(366 * 24 * 60),
    channels: z
      .array(z.enum(CHANNELS))
      .min(1)
      .max(CHANNELS.length)
      .refine((channels) => new Set(channels).size === channels.length, 'channels must not repeat'),
  })
  .strict();

export const quietHoursSchema = z.object({ start: clock, end: clock }).strict();

export const recoveryScheduleSchema = z
  .object({
    steps: z
      .array(scheduleStepSchema)
      .min(1)
      .max(20)
      .refine((steps) => steps.every((step, i) => i === 0 || step.offsetMinutes > steps[i - 1]!.offsetMinutes), 'step offsets must strictly increase'),
    /** Local time of the customer; `null` sends around the clock. */
    quietHours: quietHoursSchema.nullable(),
    /** Steps actually sent (email and/or SMS) before the campaign gives up as `exhausted`. */
    maxAttempts: z.number().int().min(1).max(50),
    /** The campaign ends (`expired`) this many days after it started. */
    expiryDays: z.number().int().min(1).max(365),
  })
  .strict()
  .refine((schedule) => schedule.steps.length === 0 || schedule.steps[schedule.steps.length - 1]!.offsetMinutes < schedule.expiryDays * 24 * 60, {
    message: 'every step must fall before the campaign expires',
    path: ['steps'],
  });

export type ScheduleStep = z.infer<typeof scheduleStepSchema>;
export type RecoverySchedule = z.infer<typeof recoveryScheduleSchema>;

const DAY = 24 * 60;

/** Immediately email; +1 day SMS; +3 days email; +7 days email and SMS; the campaign ends at +14 days. */
export const DEFAULT_SCHEDULE: RecoverySchedule = {
  steps: [
    { offsetMinutes: 0, channels: ['email'] },
    { offsetMinutes: 1 * DAY, channels: ['sms'] },
    { offsetMinutes: 3 * DAY, channels: ['email'] },
    { offsetMinutes: 7 * DAY, channels: ['email', 'sms'] },
  ],
  quietHours: { start: '21:00', end: '08:00' },
  maxAttempts: 10,
  expiryDays: 14,
};

export const timeZoneSchema = z.string().min(1).max(64).refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin');
