import type Stripe from 'stripe';
import { z } from 'zod';
import { stripeId } from './shapes.js';

/**
 * A thin event (`object: "v2.core.event"`) from an event destination: no object, only a reference to it. API v1
 * resources send them with a `v1.` prefix (`v1.checkout.session.completed` for `checkout.session.completed`).
 */
export const thinEventShape = z.looseObject({
  id: stripeId,
  object: z.literal('v2.core.event'),
  type: z.string().regex(/^v[12]\.[a-z0-9_.]{1,124}$/, 'not a thin event type'),
  created: z.iso.datetime({ offset: true }),
  livemode: z.boolean().optional(),
  /** The connected account the object lives in (null or absent: the platform). */
  context: stripeId.nullish(),
  related_object: z.looseObject({
    id: stripeId,
    type: z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'not a Stripe object type'),
  }),
});
export type ThinEvent = z.output<typeof thinEventShape>;

export const isThinEvent = (value: unknown): boolean => (value as { object?: unknown } | null)?.object === 'v2.core.event';

/** The snapshot event type a thin event stands for, or undefined for API v2 events (none of ours). */
export function snapshotTypeOf(thin: Pick<ThinEvent, 'type'>): string | undefined {
  return thin.type.startsWith('v1.') ? thin.type.slice(3) : undefined;
}

/**
 * The snapshot event our handlers read, built from a thin event and the object fetched in `apiVersion`. It keeps
 * the thin event's id, so redeliveries of the thin event dedupe like any event.
 */
export function snapshotFromThin(thin: ThinEvent, type: string, object: Record<string, unknown>, apiVersion: string): Stripe.Event {
  return {
    id: thin.id,
    object: 'event',
    type,
    api_version: apiVersion,
    created: Math.floor(Date.parse(thin.created) / 1000),
    livemode: thin.livemode ?? false,
    ...(thin.context ? { account: thin.context } : {}),
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    data: { object },
  } as unknown as Stripe.Event;
}
