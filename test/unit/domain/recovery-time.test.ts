/** The helpers of src/domain/recovery/time.ts that test/unit/recovery-time.test.ts does not reach directly. */
import { describe, expect, it } from 'vitest';
import { isValidTimeZone, localTime, parseClock, safeTimeZone } from '../../../src/domain/recovery/time.js';
import { DEFAULT_SCHEDULE } from '../../../src/domain/recovery/schedule.js';

describe('recovery time helpers', () => {
  it('parses HH:MM into minutes after midnight and refuses anything else', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('08:30')).toBe(510);
    expect(parseClock('23:59')).toBe(1_439);
    expect(() => parseClock('24:00')).toThrow('not a HH:MM time: 24:00');
    expect(() => parseClock('8:30')).toThrow('not a HH:MM time: 8:30');
  });

  it('knows IANA zones and falls back to UTC for missing or unknown ones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(safeTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(safeTimeZone('Mars/Olympus')).toBe('UTC');
    expect(safeTimeZone(null)).toBe('UTC');
    expect(safeTimeZone('')).toBe('UTC');
  });

  it('reads the local wall time of an instant', () => {
    // 2026-01-15T23:30:45Z is 00:30:45 the next day in Berlin (CET, UTC+1).
    expect(localTime(Date.UTC(2026, 0, 15, 23, 30, 45), 'Europe/Berlin')).toEqual({ year: 2026, month: 1, day: 16, hour: 0, minute: 30, second: 45 });
  });
});

describe('DEFAULT_SCHEDULE', () => {
  it('emails at once, texts after a day, emails after 3 days, both after 7, within 14 days', () => {
    expect(DEFAULT_SCHEDULE.steps).toEqual([
      { offsetMinutes: 0, channels: ['email'] },
      { offsetMinutes: 1_440, channels: ['sms'] },
      { offsetMinutes: 4_320, channels: ['email'] },
      { offsetMinutes: 10_080, channels: ['email', 'sms'] },
    ]);
    expect(DEFAULT_SCHEDULE).toMatchObject({ quietHours: { start: '21:00', end: '08:00' }, maxAttempts: 10, expiryDays: 14 });
  });
});
