import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';
import type { ParkedEvent, ReplaySummary } from '../../src/domain/stripe-events/parked.js';

export type { ParkReason, ParkedEvent, ReplaySummary } from '../../src/domain/stripe-events/parked.js';

export const PARKED_EVENTS_WORKFLOW_TYPE = 'parkedEventsWorkflow';

/** Events of the platform account itself (an invoice naming no tenant) are held under this key. */
export { PLATFORM_ACCOUNT } from '../../src/domain/stripe-events/accounts.js';

export interface ParkedEventsInput {
  /** A connected account id, or `platform`. */
  account: string;
  retry: RetrySchedule;
  /** Carried over continue-as-new. */
  held?: ParkedEvent[];
  dropped?: number;
}

export interface ParkedEventsState {
  account: string;
  status: 'holding' | 'replaying' | 'released';
  held: ParkedEvent[];
  /** Events refused because the holding list was full (the missed-event sweep finds them once the account is linked). */
  dropped: number;
  replays: ReplaySummary[];
}

export type ParkedEventsWorkflow = (input: ParkedEventsInput) => Promise<ParkedEventsState>;

/** At most this many references are held per account; later events are counted as dropped. */
export const MAX_HELD_EVENTS = 5_000;

export const parkEventSignal = defineSignal<[ParkedEvent]>('parkEvent');
/** The account now belongs to a tenant: replay everything held, then close. */
export const accountLinkedSignal = defineSignal<[{ tenantId: string }]>('accountLinked');
/** An operator replays what is held now (for example platform invoices after their metadata was fixed). */
export const replayParkedEventsUpdate = defineUpdate<ReplaySummary>('replay');
export const parkedEventsStateQuery = defineQuery<ParkedEventsState>('state');

export const parkedEventsWorkflowId = (account: string) => `parked-events:${account}`;
