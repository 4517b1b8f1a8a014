/** Stripe events parked until they can be routed (src/webhooks/park.ts); references only, no personal data. */

/** Why an event could not be routed yet. */
export type ParkReason = 'unlinked_account' | 'invoice_without_tenant';

/** Only the reference: the event itself is read from Stripe again when it is replayed (no personal data held here). */
export interface ParkedEvent {
  eventId: string;
  type: string;
  created: number;
  reason: ParkReason;
}

export interface ReplaySummary {
  replayed: number;
  routed: number;
  ignored: number;
  /** Stripe no longer has the event (older than its 30-day retention). */
  missing: number;
}
