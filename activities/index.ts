import type { Client } from '@temporalio/client';
import type { RetrySchedule } from '../src/domain/retry/schedule.js';
import type { Logger } from '../src/logger.js';
import { createBillingSessionActivities } from './billing-session.js';
import { createEventSweepActivities } from './event-sweep.js';
import { createExcessPaymentActivities } from './excess-payments.js';
import { classifyActivityFailures } from './failures.js';
import { keepAlive } from './keep-alive.js';
import { createInvoiceActivities } from './invoice.js';
import { createInvoiceImportActivities } from './invoice-import.js';
import { createOrderActivities } from './order.js';
import { createOrderRefundActivities } from './order-refunds.js';
import { createParkedEventActivities } from './parked-events.js';
import { createRecoveryActivities, type RecoveryMessenger } from './recovery.js';
import { createRecoveryHookActivities } from './recovery-hooks.js';
import { createSubscriptionActivities } from './subscription.js';
import { createTopUpActivities, type TopUpActivityDeps } from './top-up.js';
import { createTransactionActivities } from './transaction.js';

export type ActivityDeps = TopUpActivityDeps & {
  /** Activities that start or signal other workflows (the invoice import) use it; optional for tests. */
  temporal?: Client;
  /** The messaging layer bound to its config, for recovery campaigns (see RecoveryMessenger). */
  messaging?: RecoveryMessenger;
  /** PUBLIC_BASE_URL: where customers return after paying through a recovery link. */
  publicBaseUrl?: string;
  /** FRONTEND_BASE_URL: the frontend's payment result pages, when the tenant has set none of its own. */
  frontendBaseUrl?: string;
  /** ACTIVITY_RETRY_BACKOFF, for workflows that activities start (events replayed or found by the sweep). */
  retry?: RetrySchedule;
  log?: Logger;
};

/** Activities that heartbeat their own progress (their resume point), so keepAlive leaves them alone. */
const SELF_REPORTING = new Set(['importInvoicePage', 'sweepStripeEvents', 'replayParkedEvents']);

/**
 * Every activity gets its clients from here, so tests can hand in their own. Each one fails non-retryably on a
 * deterministic error (a PostgreSQL data or constraint error, a RangeError: see activities/failures.ts), so a poison
 * input is never retried.
 */
export function createActivities(deps: ActivityDeps) {
  return classifyActivityFailures(keepAlive({
    ...createTopUpActivities(deps),
    ...createOrderActivities(deps),
    ...createOrderRefundActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createInvoiceActivities(deps),
    ...createInvoiceImportActivities(deps),
    ...createRecoveryActivities(deps),
    ...createRecoveryHookActivities(deps),
    ...createTransactionActivities(deps),
    ...createExcessPaymentActivities(deps),
    ...createBillingSessionActivities(deps),
    ...createEventSweepActivities(deps),
    ...createParkedEventActivities(deps),
  }, SELF_REPORTING));
}

export type Activities = ReturnType<typeof createActivities>;
