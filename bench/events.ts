/**
 * Signed Stripe `checkout.session.completed` events for credit top-ups, as Stripe would deliver them.
 * Bodies are precomputed (and signed right before each scenario: the signature tolerance is 300 s).
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import type { CheckoutSessionEvent } from '../src/domain/top-up/contracts.js';
import { topUpWorkflowId } from '../src/temporal/workflow-ids.js';

export const BENCH_TENANT_ID = 'bench';

export interface SignedEvent {
  eventId: string;
  topUpId: string;
  workflowId: string;
  /** Exact bytes that were signed. */
  body: Buffer;
  /** Stripe-Signature header value. */
  signature: string;
  /** What the gateway turns this event into (the TopUp workflow's checkoutSessionEvent signal). */
  signal: CheckoutSessionEvent;
}

// One randomBytes call per 64 KiB instead of per id: building a pool of 20k events stays well under 100 ms.
let entropy = Buffer.alloc(0);
let entropyOffset = 0;
function hex(bytes: number): string {
  if (entropyOffset + bytes > entropy.length) {
    entropy = randomBytes(65_536);
    entropyOffset = 0;
  }
  const out = entropy.toString('hex', entropyOffset, entropyOffset + bytes);
  entropyOffset += bytes;
  return out;
}

/** `count` fresh top-up ids (`tu_<32 hex>`), one workflow each. */
export function makeTopUpIds(count: number): string[] {
  return Array.from({ length: count }, () => `tu_${hex(16)}`);
}

function checkoutSession(topUpId: string, amountTotal: number, created: number) {
  const sessionId = `cs_test_${hex(24)}`;
  return {
    id: sessionId,
    object: 'checkout.session',
    amount_subtotal: amountTotal,
    amount_total: amountTotal,
    automatic_tax: { enabled: false, liability: null, status: null },
    billing_address_collection: null,
    cancel_url: 'https://app.example.com/credits?canceled=1',
    client_reference_id: topUpId,
    created: created - 60,
    currency: 'usd',
    customer: `cus_${hex(7)}`,
    customer_creation: null,
    customer_details: { email: 'bench@example.com', name: null, phone: null, tax_exempt: 'none', tax_ids: [] },
    customer_email: null,
    expires_at: created + 86_340,
    invoice: null,
    livemode: false,
    locale: null,
    metadata: { purpose: 'top_up', tenant_id: BENCH_TENANT_ID, top_up_id: topUpId },
    mode: 'payment',
    payment_intent: `pi_${hex(12)}`,
    payment_method_types: ['card'],
    payment_status: 'paid',
    status: 'complete',
    submit_type: null,
    success_url: 'https://app.example.com/credits?success=1',
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: null,
  };
}

/**
 * `count` distinct events (distinct evt_ ids), cycling over `topUpIds`, signed with `secret` at the current time.
 */
export function buildSignedEvents(opts: { count: number; topUpIds: string[]; secret: string; apiVersion: string }): SignedEvent[] {
  const created = Math.floor(Date.now() / 1000);
  const events: SignedEvent[] = [];
  for (let i = 0; i < opts.count; i++) {
    const topUpId = opts.topUpIds[i % opts.topUpIds.length]!;
    const eventId = `evt_${hex(12)}`;
    const amountTotal = 1000 * (1 + (i % 50));
    const session = checkoutSession(topUpId, amountTotal, created);
    const envelope = {
      id: eventId,
      object: 'event',
      api_version: opts.apiVersion,
      created,
      data: { object: session },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'checkout.session.completed',
    };
    const payload = JSON.stringify(envelope);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret, timestamp: created });
    events.push({
      eventId,
      topUpId,
      workflowId: topUpWorkflowId(BENCH_TENANT_ID, topUpId),
      body: Buffer.from(payload),
      signature,
      signal: {
        eventId,
        type: 'checkout.session.completed',
        sessionId: session.id,
        paymentStatus: 'paid',
        amountTotal,
        currency: 'usd',
      },
    });
  }
  return events;
}
