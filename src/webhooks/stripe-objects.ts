import type Stripe from 'stripe';

/** Reads one Stripe object by id in the client's pinned API version, in the given account (undefined: platform). */
export type ObjectReader = (stripe: Stripe, id: string, options: Stripe.RequestOptions) => Promise<unknown>;

/**
 * The objects our webhook handlers read, by their `object` value (a thin event's `related_object.type`). An object
 * kind missing here is never re-read: the event's own payload is routed as it came.
 */
export const objectReaders: Readonly<Record<string, ObjectReader>> = {
  'checkout.session': (stripe, id, options) => stripe.checkout.sessions.retrieve(id, {}, options),
  invoice: (stripe, id, options) => stripe.invoices.retrieve(id, {}, options),
  subscription: (stripe, id, options) => stripe.subscriptions.retrieve(id, {}, options),
  payment_intent: (stripe, id, options) => stripe.paymentIntents.retrieve(id, {}, options),
  charge: (stripe, id, options) => stripe.charges.retrieve(id, {}, options),
  refund: (stripe, id, options) => stripe.refunds.retrieve(id, {}, options),
  product: (stripe, id, options) => stripe.products.retrieve(id, {}, options),
  price: (stripe, id, options) => stripe.prices.retrieve(id, {}, options),
  customer: (stripe, id, options) => stripe.customers.retrieve(id, {}, options),
  payment_link: (stripe, id, options) => stripe.paymentLinks.retrieve(id, {}, options),
  account: (stripe, id, options) => stripe.accounts.retrieve(id, {}, options),
};

export const readerFor = (objectType: string): ObjectReader | undefined =>
  Object.hasOwn(objectReaders, objectType) ? objectReaders[objectType] : undefined;
