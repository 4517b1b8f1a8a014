import { describe, expect, it } from 'vitest';
import { instantOfLocal, isQuietTime, nextAllowedSendTime, zoneOffsetMs } from '../../src/domain/recovery/time.js';
import { DEFAULT_SCHEDULE } from '../../src/domain/recovery/schedule.js';
import { recoveryScheduleSchema } from '../../src/recovery/schedule.js';

const quiet = { start: '21:00', end: '08:00' };
const iso = (ms: number) => new Date(ms).toISOString();

describe('nextAllowedSendTime', () => {
  it('leaves a step outside quiet hours alone', () => {
    const due = Date.parse('2026-06-10T15:00:00Z'); // 08:00 in Los Angeles (PDT)
    expect(nextAllowedSendTime(due, 'America/Los_Angeles', quiet)).toBe(due);
  });

  it('moves a late-evening step across local midnight to the end of the window', () => {
    const due = Date.parse('2026-06-10T13:30:00Z'); // 22:30 in Tokyo
    expect(iso(nextAllowedSendTime(due, 'Asia/Tokyo', quiet))).toBe('2026-06-10T23:00:00.000Z'); // 08:00 Tokyo, next local day
  });

  it('moves an early-morning step to 08:00 the same local day', () => {
    const due = Date.parse('2026-06-10T18:00:00Z'); // 03:00 Tokyo on the 11th
    expect(iso(nextAllowedSendTime(due, 'Asia/Tokyo', quiet))).toBe('2026-06-10T23:00:00.000Z');
  });

  it('treats the start as quiet and the end as allowed', () => {
    expect(isQuietTime(Date.parse('2026-06-10T12:00:00Z'), 'Asia/Tokyo', quiet)).toBe(true); // 21:00
    expect(isQuietTime(Date.parse('2026-06-10T23:00:00Z'), 'Asia/Tokyo', quiet)).toBe(false); // 08:00
    expect(isQuietTime(Date.parse('2026-06-10T11:59:00Z'), 'Asia/Tokyo', quiet)).toBe(false); // 20:59
  });

  it('handles the spring-forward night: 08:00 PDT is 15:00Z, not 16:00Z', () => {
    // 2026-03-08 02:00 PST → 03:00 PDT in Los Angeles. Due 23:00 PST on the 7th.
    const due = Date.parse('2026-03-08T07:00:00Z');
    expect(iso(nextAllowedSendTime(due, 'America/Los_Angeles', quiet))).toBe('2026-03-08T15:00:00.000Z');
  });

  it('handles the fall-back night: 08:00 PST is 16:00Z', () => {
    // 2026-11-01 02:00 PDT → 01:00 PST. Due 22:00 PDT on Oct 31st.
    const due = Date.parse('2026-11-01T05:00:00Z');
    expect(iso(nextAllowedSendTime(due, 'America/Los_Angeles', quiet))).toBe('2026-11-01T16:00:00.000Z');
  });

  it('ends a window that closes inside the DST gap at the first minute after the gap', () => {
    const due = Date.parse('2026-03-08T09:00:00Z'); // 01:00 PST, inside 00:00–02:30
    const allowed = nextAllowedSendTime(due, 'America/Los_Angeles', { start: '00:00', end: '02:30' });
    expect(iso(allowed)).toBe('2026-03-08T10:00:00.000Z'); // 03:00 PDT, the clock jumped past 02:30
  });

  it('supports windows that do not cross midnight and empty windows', () => {
    const due = Date.parse('2026-06-10T12:30:00Z');
    expect(iso(nextAllowedSendTime(due, 'UTC', { start: '12:00', end: '13:00' }))).toBe('2026-06-10T13:00:00.000Z');
    expect(nextAllowedSendTime(due, 'UTC', { start: '12:00', end: '12:00' })).toBe(due);
    expect(nextAllowedSendTime(due, 'UTC', null)).toBe(due);
  });

  it('falls back to UTC for an unknown zone', () => {
    const due = Date.parse('2026-06-10T22:00:00Z');
    expect(iso(nextAllowedSendTime(due, 'Mars/Olympus', quiet))).toBe('2026-06-11T08:00:00.000Z');
  });

  it('converts local wall time to instants and offsets', () => {
    expect(zoneOffsetMs(Date.parse('2026-01-15T00:00:00Z'), 'America/Los_Angeles')).toBe(-8 * 3_600_000);
    expect(iso(instantOfLocal({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/Los_Angeles'))).toBe('2026-11-01T08:30:00.000Z');
  });
});

describe('recovery schedule schema', () => {
  it('accepts the default schedule', () => {
    expect(recoveryScheduleSchema.parse(DEFAULT_SCHEDULE)).toEqual(DEFAULT_SCHEDULE);
  });

  it('rejects unordered steps, repeated channels, bad clocks and steps after expiry', () => {
    const bad = [
      { ...DEFAULT_SCHEDULE, steps: [{ offsetMinutes: 60, channels: ['email'] }, { offsetMinutes: 0, channels: ['sms'] }] },
      { ...DEFAULT_SCHEDULE, steps: [{ offsetMinutes: 0, channels: ['email', 'email'] }] },
      { ...DEFAULT_SCHEDULE, quietHours: { start: '25:00', end: '08:00' } },
      { ...DEFAULT_SCHEDULE, expiryDays: 7 },
    ];
    for (const schedule of bad) expect(recoveryScheduleSchema.safeParse(schedule).success).toBe(false);
  });
});
