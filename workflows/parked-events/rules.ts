import { MAX_HELD_EVENTS, type ParkedEvent, type ParkedEventsState } from './messages.js';

/** Adds an event reference unless it is held already; a full list counts it as dropped instead. */
export function hold(state: Pick<ParkedEventsState, 'held' | 'dropped'>, event: ParkedEvent): 'held' | 'duplicate' | 'dropped' {
  if (state.held.some((held) => held.eventId === event.eventId)) return 'duplicate';
  if (state.held.length >= MAX_HELD_EVENTS) {
    state.dropped++;
    return 'dropped';
  }
  state.held.push(event);
  return 'held';
}

/** The reason shown in the AttentionReason search attribute: the most urgent one held. */
export function attentionReason(state: Pick<ParkedEventsState, 'held' | 'dropped'>): string | undefined {
  if (state.dropped > 0) return 'parked_events_dropped';
  if (state.held.some((event) => event.reason === 'unlinked_account')) return 'parked_unlinked_account';
  if (state.held.length > 0) return 'parked_invoice_without_tenant';
  return undefined;
}
