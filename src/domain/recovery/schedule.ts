/**
 * Recovery campaign schedules: what is sent when, per tenant. The shapes and the default; the gateway and the
 * repository validate stored and submitted schedules with the zod schema in src/recovery/schedule.ts.
 */
import type { Channel } from '../messaging/contracts.js';
import type { QuietHours } from './time.js';

export const CHANNELS = ['email', 'sms'] as const satisfies readonly Channel[];

export interface ScheduleStep {
  /** Minutes after the campaign started. */
  offsetMinutes: number;
  channels: Channel[];
}

export interface RecoverySchedule {
  steps: ScheduleStep[];
  /** Local time of the customer; `null` sends around the clock. */
  quietHours: QuietHours | null;
  /** Steps actually sent (email and/or SMS) before the campaign gives up as `exhausted`. */
  maxAttempts: number;
  /** The campaign ends (`expired`) this many days after it started. */
  expiryDays: number;
}

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
