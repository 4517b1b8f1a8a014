import { createInvoiceActivities } from './invoice.js';
import { createOrderActivities } from './order.js';
import { createSubscriptionActivities } from './subscription.js';
import { createTopUpActivities, type TopUpActivityDeps } from './topup.js';

export type ActivityDeps = TopUpActivityDeps;

/** Every activity gets its clients from here, so tests can hand in their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createTopUpActivities(deps),
    ...createOrderActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createInvoiceActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
