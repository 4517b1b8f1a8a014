import type { Logger } from '../logger.js';

const seen = new Map<string, number>();

/**
 * Counts events shaped by another API version than the pinned one, and warns once per version: the endpoint's
 * version is a setting in Stripe's dashboard that nobody sees from here otherwise.
 */
export function recordVersionMismatch(eventVersion: string, pinnedVersion: string, log: Logger): void {
  const count = (seen.get(eventVersion) ?? 0) + 1;
  seen.set(eventVersion, count);
  if (count === 1) {
    log.warn(
      { eventApiVersion: eventVersion, pinnedApiVersion: pinnedVersion },
      'Stripe webhook endpoint sends another API version than the pinned one: event objects are re-read from Stripe; set the endpoint to the pinned version',
    );
  }
}

/** Mismatched events received by this process, per event API version. */
export function versionMismatchCounts(): ReadonlyMap<string, number> {
  return seen;
}
