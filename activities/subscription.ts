import type Stripe from 'stripe';
import { findPrice, upsertPrice } from '../src/db/catalog.js';
import type { Db } from '../src/db/connection.js';
import { appendLedgerEntry, findLedgerEntryBySourceKey, SourceKeyConflictError } from '../src/db/ledger.js';
import type { LedgerKind } from '../src/db/schema.js';
import { findAccountByCustomer, findTenantStripeAccount } from '../src/db/stripe-customers.js';
import {
  findCycle,
  findSubscription,
  recordFailedInvoice,
  recordPaidCycle,
  summarizeCycles,
  upsertSubscription,
} from '../src/db/subscriptions.js';
import { callStripe } from './errors.js';
import { subscriptionSnapshot } from '../src/stripe/subscription-snapshot.js';
import { type GrantCycleResult, type InvoiceSnapshot, type SubscriptionObservation, type SubscriptionProjection } from '../src/domain/subscription/contracts.js';

export interface SubscriptionActivityDeps {
  db: Db;
  stripe: Stripe;
}

/** Added to the ledger's kind CHECK by migration 0002 (LedgerKind in schema.ts predates it). */
const SUBSCRIPTION_CYCLE: LedgerKind = 'subscription_cycle';

export const subscriptionInvoiceSourceKey = (invoiceId: string): string => `subscription_invoice:${invoiceId}`;

export function createSubscriptionActivities({ db, stripe }: SubscriptionActivityDeps) {
  async function requestOptions(tenantId: string, idempotencyKey?: string): Promise<Stripe.RequestOptions> {
    const stripeAccount = await findTenantStripeAccount(db, tenantId);
    return { ...(stripeAccount ? { stripeAccount } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) };
  }

  function observe(subscription: Stripe.Subscription, subscriptionId: string): SubscriptionObservation {
    // stripe-mock answers with its fixture whatever the id; the workflow's subscription id is authoritative.
    return { subscription: { ...subscriptionSnapshot(subscription), id: subscriptionId }, observedAt: Math.floor(Date.now() / 1000) };
  }

  return {
    /** A fresh run without carried state (first event, or a late event after the workflow closed) starts from here. */
    async loadSubscription(input: {
      tenantId: string;
      subscriptionId: string;
    }): Promise<{ projection: SubscriptionProjection; cycles: number; creditsGranted: number } | undefined> {
      const record = await findSubscription(db, input.tenantId, input.subscriptionId);
      if (!record) return undefined;
      const summary = await summarizeCycles(db, input.tenantId, input.subscriptionId);
      const { createdAt: _c, updatedAt: _u, ...projection } = record;
      return { projection, cycles: summary.cycles, creditsGranted: summary.creditsGranted.reduce((sum, row) => sum + row.credits, 0) };
    },

    async recordSubscription(projection: SubscriptionProjection): Promise<void> {
      await upsertSubscription(db, projection);
    },

    /**
     * Grants the price's credits for one paid invoice exactly once: the ledger's unique source key
     * `subscription_invoice:<invoice id>` refuses a second entry whatever redelivers or retries. The amount is
     * the price's credits_per_cycle at grant time, in the price's currency; 0 records the cycle without an entry.
     */
    async grantCycleCredits(input: {
      tenantId: string;
      subscriptionId: string;
      accountId: string | null;
      invoice: InvoiceSnapshot;
      /** The subscription's current price, used when the invoice lines carry none. */
      fallbackPriceId: string | null;
    }): Promise<GrantCycleResult> {
      const { tenantId, invoice } = input;
      const cycle = {
        tenantId,
        subscriptionId: input.subscriptionId,
        invoiceId: invoice.id,
        amountPaid: invoice.amountPaid,
        periodStart: invoice.periodStart,
        periodEnd: invoice.periodEnd,
      };
      const existing = await findCycle(db, tenantId, invoice.id);
      if (existing?.status === 'paid') {
        return { outcome: 'already_granted', credits: existing.creditsGranted, currency: existing.currency, accountId: input.accountId };
      }
      const priceId = invoice.priceId ?? input.fallbackPriceId;
      let price = priceId ? await findPrice(db, tenantId, priceId) : undefined;
      if (!price && priceId) {
        // Not cached yet (webhook not seen): cache it so its currency is known; credits default to 0.
        const fetched = await callStripe('prices.retrieve', async () => stripe.prices.retrieve(priceId, {}, await requestOptions(tenantId)));
        await upsertPrice(db, tenantId, { ...fetched, id: priceId }, fetched.created ?? 0);
        price = await findPrice(db, tenantId, priceId);
      }
      const currency = price?.currency ?? invoice.currency ?? null;
      const credits = price?.creditsPerCycle ?? 0;
      const accountId =
        input.accountId ?? invoice.accountId ?? (invoice.customerId ? ((await findAccountByCustomer(db, tenantId, invoice.customerId)) ?? null) : null);
      if (credits === 0 || !currency) {
        await recordPaidCycle(db, { ...cycle, priceId: priceId ?? null, currency, creditsGranted: 0 });
        return { outcome: 'no_credits', credits: 0, currency, accountId };
      }
      if (!accountId) {
        await recordPaidCycle(db, { ...cycle, priceId: priceId ?? null, currency, creditsGranted: 0 });
        return { outcome: 'no_account', credits: 0, currency, accountId };
      }
      // One transaction: the ledger entry and the paid cycle that names it commit together.
      return db.transaction().execute(async (trx): Promise<GrantCycleResult> => {
        let granted: number;
        let outcome: GrantCycleResult['outcome'] = 'granted';
        try {
          const { entry, created } = await appendLedgerEntry(trx, {
            tenantId,
            accountId,
            currency,
            kind: SUBSCRIPTION_CYCLE,
            amount: credits,
            sourceKey: subscriptionInvoiceSourceKey(invoice.id),
            description: `Subscription ${input.subscriptionId} invoice ${invoice.id}`,
          });
          granted = entry.amount;
          if (!created) outcome = 'already_granted';
        } catch (error) {
          // Credited before with another amount (credits_per_cycle changed between attempts): that entry stands.
          if (!(error instanceof SourceKeyConflictError)) throw error;
          outcome = 'already_granted';
          granted = (await findLedgerEntryBySourceKey(trx, tenantId, subscriptionInvoiceSourceKey(invoice.id)))?.amount ?? 0;
        }
        await recordPaidCycle(trx, { ...cycle, priceId: priceId ?? null, currency, creditsGranted: granted });
        return { outcome, credits: granted, currency, accountId };
      });
    },

    async recordInvoicePaymentFailed(input: { tenantId: string; subscriptionId: string; invoice: InvoiceSnapshot }): Promise<void> {
      const { invoice } = input;
      await recordFailedInvoice(db, {
        tenantId: input.tenantId,
        subscriptionId: input.subscriptionId,
        invoiceId: invoice.id,
        priceId: invoice.priceId,
        amountPaid: 0,
        currency: invoice.currency || null,
        periodStart: invoice.periodStart,
        periodEnd: invoice.periodEnd,
      });
    },

    /** `requestNumber` makes each cancel request its own Stripe idempotency key (cancel, resume in the portal, cancel again). */
    async cancelSubscription(input: {
      tenantId: string;
      subscriptionId: string;
      atPeriodEnd: boolean;
      requestNumber: number;
    }): Promise<SubscriptionObservation> {
      const key = `subscription:${input.tenantId}:${input.subscriptionId}:cancel:${input.requestNumber}`;
      const options = await requestOptions(input.tenantId, key);
      const subscription = input.atPeriodEnd
        ? await callStripe('subscriptions.update', () => stripe.subscriptions.update(input.subscriptionId, { cancel_at_period_end: true }, options))
        : await callStripe('subscriptions.cancel', () => stripe.subscriptions.cancel(input.subscriptionId, {}, options));
      return observe(subscription, input.subscriptionId);
    },

    async retrieveSubscription(input: { tenantId: string; subscriptionId: string }): Promise<SubscriptionObservation> {
      const options = await requestOptions(input.tenantId);
      const subscription = await callStripe('subscriptions.retrieve', () => stripe.subscriptions.retrieve(input.subscriptionId, {}, options));
      return observe(subscription, input.subscriptionId);
    },
  };
}

export type SubscriptionActivities = ReturnType<typeof createSubscriptionActivities>;

