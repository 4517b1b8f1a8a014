/**
 * The missed-event sweep's cursor rules. Stripe's events.list filters by whole seconds of `created`, so a sweep lists
 * from the cursor's second again (gte) and skips only the ids it already dispatched in that second.
 */
export interface SweepCursor {
  /** Unix seconds of the newest event dispatched so far. */
  createdThrough: number;
  /** Ids already dispatched whose `created` is exactly `createdThrough`. */
  idsAtCursor: string[];
}

export interface ListedEvent {
  id: string;
  created: number;
}

/** Stripe keeps events for 30 days; a sweep never asks for more (a minute's margin for clocks). */
export const STRIPE_EVENT_RETENTION_SECONDS = 30 * 24 * 3600 - 60;

/** Where a sweep starts listing: the cursor, never before Stripe's retention window; a first sweep looks back `initialLookbackSeconds`. */
export function sweepFrom(cursor: SweepCursor | undefined, nowSeconds: number, initialLookbackSeconds: number): number {
  const oldest = nowSeconds - STRIPE_EVENT_RETENTION_SECONDS;
  const from = cursor ? cursor.createdThrough : nowSeconds - initialLookbackSeconds;
  return Math.max(from, oldest);
}

/**
 * The events to dispatch, oldest first, and the cursor after them. `listed` may come in any order (Stripe lists
 * newest first) and may repeat the cursor's second.
 */
export function planSweep(cursor: SweepCursor | undefined, listed: ListedEvent[]): { dispatch: ListedEvent[]; next: SweepCursor | undefined } {
  const seen = new Set(cursor?.idsAtCursor ?? []);
  const unique = new Map<string, ListedEvent>();
  for (const event of listed) {
    if (cursor && event.created < cursor.createdThrough) continue;
    if (cursor && event.created === cursor.createdThrough && seen.has(event.id)) continue;
    unique.set(event.id, event);
  }
  const dispatch = [...unique.values()].sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (dispatch.length === 0) return { dispatch, next: cursor };
  const newest = dispatch[dispatch.length - 1]!.created;
  const atNewest = dispatch.filter((event) => event.created === newest).map((event) => event.id);
  const carried = cursor && cursor.createdThrough === newest ? cursor.idsAtCursor : [];
  return { dispatch, next: { createdThrough: newest, idsAtCursor: [...carried, ...atNewest] } };
}
