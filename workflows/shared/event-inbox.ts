/** One line of a workflow's event log: what an event (or a reconcile) did. */
export interface EventLogEntry {
  eventId: string;
  type: string;
  outcome: string;
}

/** The part of a workflow's state the inbox keeps: ids already taken and a bounded log of outcomes. */
export interface EventRecord {
  seenEventIds: string[];
  eventLog: EventLogEntry[];
}

export interface InboxLimits {
  /** Newest event ids kept for dedupe (Infinity: all). */
  seen: number;
  /** Newest event-log entries kept. */
  log: number;
}

/** Appends `item` and drops the oldest entries beyond `limit`. */
export function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

/**
 * Event-id dedupe plus a bounded event log, shared by the workflows that take events by signal. Pure in-memory
 * state: it issues no commands. The seen ids and the log live in the workflow's own state object (`record`), so
 * queries and continue-as-new carry them exactly as before; `pending` is the queue of events not yet taken.
 */
export class EventInbox<E extends { eventId: string }> {
  constructor(
    private readonly record: EventRecord,
    private readonly limits: InboxLimits,
    readonly pending: E[] = [],
  ) {}

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Queues the event unless it was taken already or is waiting: false for a redelivery. */
  offer(event: E): boolean {
    if (this.record.seenEventIds.includes(event.eventId) || this.pending.some((queued) => queued.eventId === event.eventId)) return false;
    this.pending.push(event);
    return true;
  }

  /** Queues an event of the workflow's own making (no dedupe). */
  enqueue(event: E): void {
    this.pending.push(event);
  }

  /** The next event, marked seen as it is taken, so a redelivery arriving while it is applied is dropped. */
  take(): E | undefined {
    const event = this.pending.shift();
    if (event) this.markSeen(event.eventId);
    return event;
  }

  /** The next event, not yet marked seen (for histories that marked it only after applying). */
  takeUnseen(): E | undefined {
    return this.pending.shift();
  }

  markSeen(eventId: string): void {
    pushBounded(this.record.seenEventIds, eventId, this.limits.seen);
  }

  log(entry: EventLogEntry): void {
    pushBounded(this.record.eventLog, entry, this.limits.log);
  }

  hasLogged(eventId: string): boolean {
    return this.record.eventLog.some((entry) => entry.eventId === eventId);
  }

  /**
   * Removes every waiting event and logs it with the entry `entryOf` gives (never applied). `bounded: false` keeps
   * every entry past the log limit, as the top-up workflow always has.
   */
  dismissPending(entryOf: (event: E) => EventLogEntry, options: { bounded: boolean } = { bounded: true }): void {
    for (const event of this.pending.splice(0)) {
      if (options.bounded) this.log(entryOf(event));
      else this.record.eventLog.push(entryOf(event));
    }
  }
}
