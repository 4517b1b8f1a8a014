/**
 * Where a credit's time goes, read from a sample of workflow histories (the server's event times; the server runs
 * on this machine, so its clock is the bench's): from send to the event that reached the workflow (the signal, or
 * the baseline's start), the workflow task's wait and run, the activity's schedule-to-start, and from the
 * activity's start to the ledger commit.
 */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import type { temporal } from '@temporalio/proto';
import type { Credit } from './credit.js';

export const SEGMENTS = [
  'ack (webhook 200 / start returned)',
  'send → event in Temporal',
  'workflow task wait',
  'workflow task run',
  'activity schedule-to-start',
  'activity start → commit',
] as const;
export type Segment = (typeof SEGMENTS)[number];
export type Breakdown = Record<Segment, number[]>;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const eventMs = (event: HistoryEvent) => tsToMs(event.eventTime) + ((event.eventTime?.nanos ?? 0) % 1_000_000) / 1_000_000;
const epoch = (performanceMs: number) => performance.timeOrigin + performanceMs;

function segmentsOf(credit: Credit, events: HistoryEvent[]): Partial<Record<Segment, number>> | undefined {
  const anchor = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes || e.workflowExecutionStartedEventAttributes);
  // A prepared top-up was started before the clock: its anchor is the signal, not the start.
  const signaled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
  const from = signaled >= 0 ? signaled : anchor;
  const taskStarted = events.findIndex((e, i) => i > from && e.workflowTaskStartedEventAttributes);
  const taskCompleted = events.findIndex((e, i) => i > taskStarted && e.workflowTaskCompletedEventAttributes);
  const scheduled = events.findIndex((e, i) => i > taskCompleted && e.activityTaskScheduledEventAttributes);
  const scheduledId = events[scheduled]?.eventId?.toString();
  const activityStarted = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduledId);
  if (from < 0 || taskStarted < 0 || taskCompleted < 0 || scheduled < 0 || !activityStarted || credit.sentAt === undefined) return undefined;
  const at = (i: number) => eventMs(events[i]!);
  return {
    ...(credit.ackAt !== undefined ? { 'ack (webhook 200 / start returned)': credit.ackAt - credit.sentAt } : {}),
    'send → event in Temporal': at(from) - epoch(credit.sentAt),
    'workflow task wait': at(taskStarted) - at(from),
    'workflow task run': at(taskCompleted) - at(taskStarted),
    'activity schedule-to-start': eventMs(activityStarted) - at(scheduled),
    ...(credit.commitAt !== undefined ? { 'activity start → commit': epoch(credit.commitAt) - eventMs(activityStarted) } : {}),
  };
}

const committed = (credits: Credit[]) => credits.filter((c) => c.commitAt !== undefined && c.sentAt !== undefined);

/** Up to `size` committed credits picked evenly through `credits`: the typical credit. */
export function evenSample(credits: Credit[], size: number): Credit[] {
  const done = committed(credits);
  const step = Math.max(1, Math.floor(done.length / size));
  return done.filter((_, i) => i % step === 0).slice(0, size);
}

/** The `size` committed credits slowest from send to commit: where the p99 comes from. */
export function slowest(credits: Credit[], size: number): Credit[] {
  return committed(credits)
    .sort((a, b) => b.commitAt! - b.sentAt! - (a.commitAt! - a.sentAt!))
    .slice(0, size);
}

export async function measureBreakdown(client: Client, sample: Credit[]): Promise<Breakdown> {
  const out = Object.fromEntries(SEGMENTS.map((s) => [s, [] as number[]])) as Breakdown;
  for (const credit of sample) {
    const history = await client.workflow.getHandle(credit.workflowId).fetchHistory();
    const segments = segmentsOf(credit, history.events ?? []);
    if (!segments) continue;
    for (const [segment, ms] of Object.entries(segments) as Array<[Segment, number]>) out[segment].push(ms);
  }
  return out;
}
