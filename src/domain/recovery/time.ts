/**
 * Pure, deterministic time arithmetic for recovery campaigns. Safe in workflow code: no clock, no I/O; the
 * time zone database is read through Intl.DateTimeFormat, which is a pure function of its arguments.
 */

/** Local wall-clock window, `HH:MM` 24 h. `start > end` crosses midnight (21:00–08:00); `start == end` is none. */
export interface QuietHours {
  start: string;
  end: string;
}

export const DEFAULT_TIME_ZONE = 'UTC';
const MINUTE_MS = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when Intl knows the zone (IANA names such as America/Los_Angeles, or UTC). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** A zone Intl accepts: the given one, or UTC for missing/unknown zones. */
export function safeTimeZone(timeZone: string | null | undefined): string {
  return timeZone && isValidTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE;
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

/** The zone's UTC offset at instant `ms` (local minus UTC), in ms. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const t = localTime(ms, timeZone);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a local wall time happens. For a time repeated by a DST fall-back the first occurrence; for
 * one skipped by a spring-forward gap an instant just before the gap (callers walk forward from there).
 */
export function instantOfLocal(
  local: { year: number; month: number; day: number; hour: number; minute: number },
  timeZone: string,
): number {
  const guess = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const first = zoneOffsetMs(guess, timeZone);
  let instant = guess - first;
  const second = zoneOffsetMs(instant, timeZone);
  // Around a transition the two offsets give two candidates: in a repeated hour both are that wall time (take the
  // first); in a skipped hour neither is, and the earlier one lies just before the gap.
  if (second !== first) instant = Math.min(instant, guess - second);
  return instant;
}

export function parseClock(hhmm: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!match) throw new Error(`not a HH:MM time: ${hhmm}`);
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) throw new Error(`not a HH:MM time: ${hhmm}`);
  return hours * 60 + minutes;
}

/** Whether `ms` falls inside the quiet window in `timeZone` (start inclusive, end exclusive). */
export function isQuietTime(ms: number, timeZone: string, quietHours: QuietHours | null | undefined): boolean {
  if (!quietHours) return false;
  const start = parseClock(quietHours.start);
  const end = parseClock(quietHours.end);
  if (start === end) return false;
  const t = localTime(ms, timeZone);
  const minute = t.hour * 60 + t.minute;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * The earliest instant at or after `dueMs` outside the quiet hours of `timeZone`. A step due inside the window
 * waits until the window ends (local time, DST-aware); windows may cross midnight.
 */
export function nextAllowedSendTime(dueMs: number, timeZone: string, quietHours: QuietHours | null | undefined): number {
  const zone = safeTimeZone(timeZone);
  if (!quietHours || !isQuietTime(dueMs, zone, quietHours)) return dueMs;
  const start = parseClock(quietHours.start);
  const end = parseClock(quietHours.end);
  const local = localTime(dueMs, zone);
  const minute = local.hour * 60 + local.minute;
  // The window ends on the next local day when it crosses midnight and we are in its evening part.
  const endsTomorrow = start > end && minute >= start;
  const day = new Date(Date.UTC(local.year, local.month - 1, local.day + (endsTomorrow ? 1 : 0)));
  let candidate = instantOfLocal(
    { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: Math.floor(end / 60), minute: end % 60 },
    zone,
  );
  if (candidate < dueMs) candidate = dueMs;
  // A spring-forward gap can put the wall-clock end time at a non-existent instant: walk to the first free minute.
  for (let i = 0; i < 24 * 60 && isQuietTime(candidate, zone, quietHours); i++) {
    candidate = (Math.floor(candidate / MINUTE_MS) + 1) * MINUTE_MS;
  }
  return candidate;
}
