/**
 * Temporal Cloud actions per flow, counted from the recorded workflow histories in test/histories/ (each written by
 * the flow's workflow test with RECORD_HISTORIES=1 against the real worker code), per Temporal Cloud's action
 * definitions (https://docs.temporal.io/cloud/actions):
 *
 *   workflow started (client start, continue-as-new, child)        1
 *   signal-with-start                                              1 in all (start + its signal)
 *   signal                                                         1 each
 *   update (accepted; update-with-start adds the start)            1 each
 *   activity started or retried                                    1 per attempt
 *   local activities                                               1 per workflow task that records any
 *   timer started (also a condition() with a timeout)              1 each
 *   search-attribute upsert (TemporalChangeVersion alone is free)   1 per command
 *   patch markers, workflow tasks, completion                      0
 *
 * Not in a history, so not counted here: queries (billed when a worker answers one), activity heartbeats (the
 * keep-alive heartbeats only reach the server for activities running longer than the throttle), rejected updates.
 *
 * Also reports the history's event count and encoded size against the server's continue-as-new suggestion
 * (limit.historyCount.suggestContinueAsNew 4,096 events, limit.historySize.suggestContinueAsNew 4 MiB; hard limits
 * 51,200 events / 50 MiB).
 */
import { readFile } from 'node:fs/promises';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { fileURLToPath } from 'node:url';
import { verdictLine, type Row } from './report.js';

const { temporal } = proto;
type History = proto.temporal.api.history.v1.IHistory;

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export const SUGGEST_CONTINUE_AS_NEW_EVENTS = 4_096;
export const SUGGEST_CONTINUE_AS_NEW_BYTES = 4 * 1024 * 1024;
/** Temporal Cloud list price per million actions at the first volume tier (see README, "Temporal actions per flow"). */
export const USD_PER_MILLION_ACTIONS = 50;

export interface FlowSpec {
  /** Row name. */
  flow: string;
  /** test/histories/<file>. */
  history: string;
  /**
   * The least actions the flow itself must generate (derived in the README): its start, the timers it must keep and
   * one activity per distinct external effect. The least for the run adds the messages (signals, updates) the run
   * received: the sender (Stripe, the API caller, the test's redeliveries) decides those, every one is billed.
   */
  leastOwn: number;
}

/**
 * The five flows, then two harder variants, each a history recorded by its test with the current workflow
 * code (the `-lean-actions` files carry the patches that cut actions; the older files stay for replay only).
 */
export const FLOWS: FlowSpec[] = [
  // start, checkout-expiry timer, create the Checkout Session (inserting the row), credit the ledger
  { flow: 'top-up paid', history: 'topup-credited-lean-actions.json', leastOwn: 4 },
  // start, due-date timer, record created, record finalized, record paid
  { flow: 'Stripe invoice created then paid', history: 'invoice-created-then-paid-lean-actions.json', leastOwn: 5 },
  // start, record the subscription, grant cycle 1, record the renewal, grant cycle 2
  { flow: 'subscription cycle paid', history: 'subscription-cycle-paid.json', leastOwn: 5 },
  // start, payment-expiry timer, create the PaymentIntent (recording the order), record the payment, three refunds
  { flow: 'order paid then partially refunded', history: 'order-paid-partially-refunded-lean-actions.json', leastOwn: 7 },
  // start, record the campaign, make the item's payment link, send step 1, timer, send step 2, timer, mark paid
  // (recorded with recovery-one-activity-per-step: each step's link and sends are one activity)
  { flow: 'recovery campaign paid on step 2', history: 'recovery-paid-day-2-one-activity-per-step.json', leastOwn: 8 },
  // start, due-date timer, record created, record finalized, record the failure and mark overdue (one transaction),
  // start the recovery, record paid, tell the recovery
  { flow: 'invoice overdue then paid', history: 'invoice-overdue-then-paid-lean-actions.json', leastOwn: 8 },
  // start, record the subscription, grant cycle 1, record the failure, start the recovery, record the past_due
  // snapshot, grant cycle 2, tell the recovery
  { flow: 'subscription payment failed then recovered', history: 'subscription-payment-failed-then-recovered-current.json', leastOwn: 8 },
];

export interface ActionCount {
  total: number;
  byKind: Record<string, number>;
  events: number;
  bytes: number;
}

const HISTORIES_DIR = fileURLToPath(new URL('../test/histories/', import.meta.url));

export async function loadHistory(file: string): Promise<History> {
  return historyFromJSON(JSON.parse(await readFile(`${HISTORIES_DIR}${file}`, 'utf8')));
}

export function countActions(history: History): ActionCount {
  const events: HistoryEvent[] = history.events ?? [];
  const byKind: Record<string, number> = {};
  const add = (kind: string, n = 1) => (byKind[kind] = (byKind[kind] ?? 0) + n);
  // Signal-with-start: the start's first event is the signal, before any workflow task.
  const signalWithStart = events[1]?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED;
  let localActivityTask: string | undefined;
  for (const [i, e] of events.entries()) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        add(signalWithStart ? 'signal-with-start' : 'workflow started');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        if (!(signalWithStart && i === 1)) add('signals');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        add('updates');
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        // One started event per activity, carrying its last attempt number: every attempt is billed.
        add('activity attempts', Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1));
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        add('timers');
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const keys = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        if (keys.some((key) => key !== 'TemporalChangeVersion')) add('search-attribute upserts');
        break;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const task = String(e.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? '');
        if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && task !== localActivityTask) {
          localActivityTask = task;
          add('local activity tasks');
        }
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        add('continue-as-new starts');
        break;
      default:
        break;
    }
  }
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  const bytes = temporal.api.history.v1.History.encode(history).finish().length;
  return { total, byKind, events: events.length, bytes };
}

export interface FlowActions extends FlowSpec, ActionCount {
  /** Signals, updates and a signal-with-start the run received. */
  messages: number;
  /** leastOwn + messages. */
  least: number;
}

export async function measureActions(): Promise<FlowActions[]> {
  const out: FlowActions[] = [];
  for (const spec of FLOWS) {
    const count = countActions(await loadHistory(spec.history));
    const messages = (count.byKind.signals ?? 0) + (count.byKind.updates ?? 0) + (count.byKind['signal-with-start'] ?? 0);
    out.push({ ...spec, ...count, messages, least: spec.leastOwn + messages });
  }
  return out;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

export function actionRows(flows: FlowActions[]): Row[] {
  const rows: Row[] = [];
  for (const f of flows) {
    rows.push({ name: `actions: ${f.flow}`, value: f.total, unit: 'actions', baseline: f.least, ratio: round(f.total / f.least, 3), target: 1.2, targetIs: 'max' });
    rows.push({
      name: `history events: ${f.flow}`,
      value: f.events,
      unit: 'events',
      baseline: SUGGEST_CONTINUE_AS_NEW_EVENTS,
      ratio: round(f.events / SUGGEST_CONTINUE_AS_NEW_EVENTS, 4),
      target: 0.1,
      targetIs: 'max',
    });
    rows.push({
      name: `history size: ${f.flow}`,
      value: f.bytes,
      unit: 'bytes',
      baseline: SUGGEST_CONTINUE_AS_NEW_BYTES,
      ratio: round(f.bytes / SUGGEST_CONTINUE_AS_NEW_BYTES, 4),
      target: 0.1,
      targetIs: 'max',
    });
  }
  const invoiceFlows: Array<[string, string]> = [
    ['invoice-created-then-paid-lean-actions.json', 'paid on time'],
    ['invoice-overdue-then-paid-lean-actions.json', 'overdue then paid'],
  ];
  for (const [history, how] of invoiceFlows) {
    const invoice = flows.find((f) => f.history === history);
    if (!invoice) continue;
    rows.push({
      name: `Temporal Cloud cost per 1,000 paid invoices (${how})`,
      value: round((invoice.total * 1_000 * USD_PER_MILLION_ACTIONS) / 1_000_000, 4),
      unit: 'USD',
      baseline: round((invoice.least * 1_000 * USD_PER_MILLION_ACTIONS) / 1_000_000, 4),
      ratio: round(invoice.total / invoice.least, 3),
      target: null,
    });
  }
  return rows;
}

/** Lower is better for every ratio here (count ÷ least, size ÷ limit). */
export function formatActions(flows: FlowActions[], rows: Row[]): string {
  const header = ['flow', 'actions', 'least', 'ratio', 'messages', 'events', 'bytes', 'breakdown'];
  const body = flows.map((f) => [
    f.flow,
    String(f.total),
    String(f.least),
    (f.total / f.least).toFixed(2),
    String(f.messages),
    String(f.events),
    String(f.bytes),
    Object.entries(f.byKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ''];
  for (const row of rows) {
    if (row.target === null || row.ratio === null) continue;
    out.push(verdictLine(row));
  }
  for (const cost of rows.filter((r) => r.unit === 'USD')) {
    out.push(`[info] ${cost.name}: $${cost.value} at $${USD_PER_MILLION_ACTIONS}/million actions (least: $${cost.baseline})`);
  }
  return out.join('\n');
}
