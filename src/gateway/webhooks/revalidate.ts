import type { Counter } from 'prom-client';
import Stripe from 'stripe';
import type { Logger } from '../../logger.js';
import { problems } from '../problem.js';
import { isStripeUnavailable } from '../upstream.js';
import { parseShape } from '../../webhooks/shapes.js';
import { readerFor } from '../../webhooks/stripe-objects.js';
import { isThinEvent, snapshotFromThin, snapshotTypeOf, thinEventShape, type ThinEvent } from '../../webhooks/thin-event.js';
import type { WebhookHandlerMap, WebhookOutcome } from '../../webhooks/types.js';
import { recordVersionMismatch } from '../../webhooks/version-mismatch.js';

/** When an event's object is re-read from Stripe: `auto` on a version mismatch or a thin event. */
export type RefetchMode = 'auto' | 'always' | 'never';

export interface RevalidateDeps {
  stripe: Stripe;
  /** The API version this code reads (STRIPE_API_VERSION); the Stripe client is pinned to it. */
  pinnedVersion: string;
  mode: RefetchMode;
  handlers: WebhookHandlerMap;
  log: Logger;
  /** Counts mismatched events by their API version. */
  mismatches?: Counter<'api_version'>;
}

export type Revalidated = { ok: true; event: Stripe.Event } | { ok: false; outcome: WebhookOutcome };

/** Stripe waits about 10 s for an answer: one short read and one retry fit before it gives up. */
const READ_OPTIONS = { timeout: 4_000, maxNetworkRetries: 1 } as const;

type Read = { found: true; object: Record<string, unknown> } | { found: false };

/**
 * Reads an object in the pinned version. 404: the object is gone (deleted), which is an answer, not a failure.
 * Another refusal (403 for an account that revoked access, 400) is deterministic too and keeps the event's own data.
 * Stripe unreachable, 429 or 5xx answers 503, so Stripe redelivers the event later.
 */
async function readObject(deps: RevalidateDeps, objectType: string, id: string, account: string | null | undefined): Promise<Read | undefined> {
  const reader = readerFor(objectType);
  if (!reader) return undefined;
  try {
    const object = await reader(deps.stripe, id, { ...READ_OPTIONS, ...(account ? { stripeAccount: account } : {}) });
    return { found: true, object: object as Record<string, unknown> };
  } catch (error) {
    if (isStripeUnavailable(error) || error instanceof Stripe.errors.StripeAuthenticationError) {
      deps.log.warn({ err: error, objectType }, 'Stripe unavailable while re-reading an event object');
      throw problems.unavailable('stripe_unavailable', 'Stripe did not answer the read of this event object; Stripe will redeliver the event.');
    }
    if (error instanceof Stripe.errors.StripeError) {
      deps.log.warn({ objectType, code: error.code, statusCode: error.statusCode }, 'event object not readable from Stripe: using the event as sent');
      return { found: false };
    }
    throw error;
  }
}

const hasHandler = (handlers: WebhookHandlerMap, type: string) => Object.hasOwn(handlers, type);

async function fromThin(raw: unknown, deps: RevalidateDeps): Promise<Revalidated> {
  const parsed = parseShape(thinEventShape, raw, 'thin event', { id: String((raw as ThinEvent).id), type: String((raw as ThinEvent).type) } as Stripe.Event, deps.log);
  if (!parsed.ok) return parsed;
  const thin = parsed.data;
  const type = snapshotTypeOf(thin);
  // Nothing is fetched for events no handler reads.
  if (!type || !hasHandler(deps.handlers, type)) return { ok: false, outcome: { status: 'ignored', reason: `no handler for ${thin.type}` } };
  const read = await readObject(deps, thin.related_object.type, thin.related_object.id, thin.context);
  if (!read) return { ok: false, outcome: { status: 'ignored', reason: `thin event for an object we do not read (${thin.related_object.type})` } };
  const object = read.found ? read.object : { id: thin.related_object.id, object: thin.related_object.type, deleted: true };
  return { ok: true, event: snapshotFromThin(thin, type, object, deps.pinnedVersion) };
}

async function fromSnapshot(event: Stripe.Event, deps: RevalidateDeps): Promise<Revalidated> {
  const object = (event as { data?: { object?: { object?: unknown; id?: unknown } } } | null)?.data?.object;
  // A malformed envelope is the dispatcher's to reject; unhandled types are acknowledged there without a read.
  if (typeof event?.type !== 'string' || !hasHandler(deps.handlers, event.type) || typeof object?.object !== 'string' || typeof object.id !== 'string') {
    return { ok: true, event };
  }
  const mismatch = event.api_version !== deps.pinnedVersion;
  if (mismatch) {
    const version = typeof event.api_version === 'string' && /^[\w.-]{1,64}$/.test(event.api_version) ? event.api_version : 'none';
    recordVersionMismatch(version, deps.pinnedVersion, deps.log);
    deps.mismatches?.inc({ api_version: version });
  }
  if (deps.mode === 'never' || (deps.mode === 'auto' && !mismatch)) return { ok: true, event };
  const read = await readObject(deps, object.object, object.id, event.account);
  if (!read?.found) return { ok: true, event };
  const envelope = event as unknown as Record<string, unknown> & { data: Record<string, unknown> };
  const refreshed = { ...envelope, api_version: deps.pinnedVersion, data: { ...envelope.data, object: read.object } };
  return { ok: true, event: refreshed as unknown as Stripe.Event };
}

/**
 * Makes a verified event safe to route: the payload's shape is the endpoint's API version, not necessarily the one
 * this code reads, and a thin event carries no object at all. Either way the object is read from Stripe (in the
 * event's account, in the pinned version) before any handler sees it, as stripe sync-engine revalidates objects.
 */
export function revalidateEvent(raw: unknown, deps: RevalidateDeps): Promise<Revalidated> {
  return isThinEvent(raw) ? fromThin(raw, deps) : fromSnapshot(raw as Stripe.Event, deps);
}
