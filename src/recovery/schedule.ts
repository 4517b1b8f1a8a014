/**
 * Validation of recovery campaign schedules (src/domain/recovery/schedule.ts), shared by the gateway (PUT
 * validation) and the repository (stored jsonb is re-validated on read).
 */
import { z } from 'zod';
import { CHANNELS, type RecoverySchedule, type ScheduleStep } from '../domain/recovery/schedule.js';
import { isValidTimeZone } from '../domain/recovery/time.js';


const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24 h HH:MM time');

export const scheduleStepSchema = z
  .object({
    offsetMinutes: z.number().int().min(0).max(366 * 24 * 60),
    channels: z
      .array(z.enum(CHANNELS))
      .min(1)
      .max(CHANNELS.length)
      .refine((channels) => new Set(channels).size === channels.length, 'channels must not repeat'),
  })
  .strict() satisfies z.ZodType<ScheduleStep>;

export const quietHoursSchema = z.object({ start: clock, end: clock }).strict();

export const recoveryScheduleSchema = z
  .object({
    steps: z
      .array(scheduleStepSchema)
      .min(1)
      .max(20)
      .refine((steps) => steps.every((step, i) => i === 0 || step.offsetMinutes > steps[i - 1]!.offsetMinutes), 'step offsets must strictly increase'),
    quietHours: quietHoursSchema.nullable(),
    maxAttempts: z.number().int().min(1).max(50),
    expiryDays: z.number().int().min(1).max(365),
  })
  .strict()
  .refine((schedule) => schedule.steps.length === 0 || schedule.steps[schedule.steps.length - 1]!.offsetMinutes < schedule.expiryDays * 24 * 60, {
    message: 'every step must fall before the campaign expires',
    path: ['steps'],
  }) satisfies z.ZodType<RecoverySchedule>;

export const timeZoneSchema = z.string().min(1).max(64).refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin');
