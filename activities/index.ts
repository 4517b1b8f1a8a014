import type { Client } from '@temporalio/client';
import { createInvoiceActivities } from './invoice.js';
import { createInvoiceImportActivities } from './invoice-import.js';
import { createOrderActivities } from './order.js';
import { createRecoveryActivities, type RecoveryMessenger } from './recovery.js';
import { createRecoveryHookActivities } from './recovery-hooks.js';
import { createSubscriptionActivities } from './subscription.js';
import { createTopUpActivities, type TopUpActivityDeps } from './topup.js';

export type ActivityDeps = TopUpActivityDeps & {
  /** Activities that start or signal other workflows (the invoice import) use it; optional for tests. */
  temporal?: Client;
  /** The messaging layer bound to its config, for recovery campaigns (see RecoveryMessenger). */
  messaging?: RecoveryMessenger;
  /** PUBLIC_BASE_URL: where customers return after paying through a recovery link. */
  publicBaseUrl?: string;
};

/** Every activity gets its clients from here, so tests can hand in their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createTopUpActivities(deps),
    ...createOrderActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createInvoiceActivities(deps),
    ...createInvoiceImportActivities(deps),
    ...createRecoveryActivities(deps),
    ...createRecoveryHookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
