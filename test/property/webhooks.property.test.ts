import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { webhookHandlers } from '../../src/webhooks/dispatch.js';
import { api, type TestApp, useTestApp } from '../helpers/app-context.js';
import { signatureFor, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';

/**
 * Property: whatever a signed Stripe event carries, the webhook route never answers 5xx, and no workflow it
 * starts or signals ends up stuck (an activity retrying, a workflow task failing). Events are Stripe's own
 * fixtures (../shared/stripe/fixtures3.json) wrapped in the handled event types, given our metadata so they
 * reach the workflows, then mutated: fields dropped, nulled, retyped, made huge, given NUL bytes or unpaired
 * surrogates, amounts made fractional/negative/huge; envelopes broken; unknown types. Fixed seed, bounded runs.
 */
const SEED = 1_010_003;
const NUM_RUNS = 300;
/** Enough for an activity failing on every attempt to reach attempt 3 with ACTIVITY_RETRY_BACKOFF 1s,2s,5s. */
const SETTLE_MS = 9_000;
/** temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND */
const WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND = 1;

let app: TestApp;
useTestApp((started) => (app = started));

const HANDLED_TYPES = Object.keys(webhookHandlers).sort();

function resourceFor(type: string): string {
  if (type.startsWith('checkout.session.')) return 'checkout.session';
  if (type.startsWith('payment_intent.')) return 'payment_intent';
  if (type === 'charge.refunded') return 'charge';
  if (type === 'charge.refund.updated' || type.startsWith('refund.')) return 'refund';
  if (type.startsWith('customer.subscription.')) return 'subscription';
  if (type.startsWith('invoice.')) return 'invoice';
  if (type.startsWith('price.')) return 'price';
  if (type.startsWith('account.application.')) return 'application';
  return 'product';
}

/** Our metadata variants: what makes each handler treat the object as its own. Small id sets keep workflows few. */
const metadataArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.record({ purpose: fc.constant('top_up'), tenant_id: fc.constantFrom('t1', 't2', 'nope'), top_up_id: fc.constantFrom('tu_00000000000000000000000000000001', 'tu_x') }),
  fc.record({ purpose: fc.constant('invoice'), tenant_id: fc.constantFrom('t1', 'nope'), invoice_id: fc.constantFrom('inv_00000000000000000000000000000001', 'in_prop') }),
  fc.record({ purpose: fc.constant('transaction'), tenant_id: fc.constantFrom('t1', 't2'), transaction_ref: fc.constantFrom('ref-1', 'ref:2') }),
  fc.record({
    purpose: fc.constant('recovery'),
    tenant_id: fc.constant('t1'),
    campaign_id: fc.constantFrom('camp_1', 'camp_2'),
    item_kind: fc.constantFrom('invoice', 'order', 'transaction', 'subscription_invoice', 'nonsense'),
    item_ref: fc.constantFrom('ref-1', 'ord_1'),
  }),
  fc.record({ purpose: fc.constant('order'), tenant_id: fc.constantFrom('t1', 't2'), order_id: fc.constantFrom('ord_1', 'ord_2'), attempt: fc.constantFrom('1', '2', 'x') }),
  fc.record({ tenant_id: fc.constantFrom('t1', 't2'), account_id: fc.constantFrom('wallet-1', '') }),
  fc.constant({}),
);

/** Bad values a field may take. */
const HUGE = 'x'.repeat(150_000);
const poisonArb: fc.Arbitrary<{ value: unknown } | { drop: true }> = fc.oneof(
  fc.constant({ drop: true as const }),
  fc.constantFrom<unknown>(
    null,
    '',
    'a\u0000b',
    '\uD800',
    'x\uDC00y',
    HUGE,
    1.5,
    -1,
    0,
    1e300,
    Number.MAX_SAFE_INTEGER + 2,
    true,
    [],
    {},
    [1, 'two'],
    { id: 'obj_\u0000' },
    'usd',
    'USD',
    'paid',
    'acct_unknown',
  ).map((value) => ({ value })),
  fc.string({ maxLength: 20, unit: 'binary' }).map((value) => ({ value })),
  fc.integer().map((value) => ({ value })),
);

/** Every key path in the object, a few levels deep (array elements by index), for mutations to pick from. */
function paths(value: unknown, prefix: string[] = [], depth = 0, out: string[][] = []): string[][] {
  if (depth > 4 || value === null || typeof value !== 'object') return out;
  const entries = Array.isArray(value) ? value.slice(0, 2).map((item, index) => [String(index), item] as const) : Object.entries(value);
  for (const [key, child] of entries) {
    const path = [...prefix, key];
    out.push(path);
    paths(child, path, depth + 1, out);
  }
  return out;
}

function mutate(target: Record<string, unknown>, path: string[], poison: { value: unknown } | { drop: true }): void {
  let node: any = target;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = node[key];
  }
  if (node === null || typeof node !== 'object') return;
  const last = path[path.length - 1]!;
  if ('drop' in poison) delete node[last];
  else node[last] = structuredClone(poison.value);
}

/** The handled object, as our own code would have created it, before mutations. */
function baseObject(type: string, metadata: Record<string, string>): Record<string, unknown> {
  const object = stripeFixture(resourceFor(type));
  object.metadata = { ...metadata };
  if (object.object === 'checkout.session') Object.assign(object, { payment_status: 'paid', amount_total: 1500, currency: 'usd', status: 'complete' });
  if (object.object === 'invoice') {
    object.parent = { type: 'subscription_details', subscription_details: { subscription: 'sub_prop_1', metadata: { ...metadata } } };
  }
  if (object.object === 'refund' || object.object === 'charge') object.payment_intent = 'pi_prop_1';
  return object;
}

const eventArb = fc
  .record({
    type: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...HANDLED_TYPES) },
      { weight: 1, arbitrary: fc.constantFrom('plan.created', 'constructor', '__proto__', 'Invoice.Paid', 'invoice.paid\u0000') },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    ),
    metadata: metadataArb,
    mutations: fc.array(fc.record({ at: fc.nat(), poison: poisonArb }), { maxLength: 4 }),
    envelope: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<Record<string, unknown>>(
          { data: {} },
          { data: { object: null } },
          { data: { object: [] } },
          { data: null },
          { account: 'acct_unknown' },
          { account: 42 },
          { id: 'evt_\u0000' },
          { id: HUGE },
          { created: 1.5 },
          { created: -5 },
          { type: null },
        ),
      },
    ),
  })
  .map(({ type, metadata, mutations, envelope }) => {
    const object = baseObject(type, metadata);
    const candidates = paths(object);
    for (const { at, poison } of mutations) mutate(object, candidates[at % candidates.length]!, poison);
    return stripeEvent(type, object, envelope ?? {});
  });

interface StuckWorkflow {
  workflowId: string;
  status: string;
  problem: string;
}

async function stuckWorkflows(): Promise<{ total: number; stuck: StuckWorkflow[] }> {
  const stuck: StuckWorkflow[] = [];
  let total = 0;
  // Temporal's visibility query: TaskQueue is a built-in search attribute (string values in double quotes).
  for await (const info of app.temporal.workflow.list({ query: `TaskQueue = "${app.config.TEMPORAL_TASK_QUEUE}"` })) {
    total++;
    const handle = app.temporal.workflow.getHandle(info.workflowId, info.runId);
    const description = await handle.describe();
    const status = description.status.name;
    for (const activity of description.raw.pendingActivities ?? []) {
      if ((activity.attempt ?? 0) >= 3) {
        stuck.push({ workflowId: info.workflowId, status, problem: `activity ${activity.activityType?.name} at attempt ${activity.attempt}: ${activity.lastFailure?.message ?? ''}` });
      }
    }
    if ((description.raw.pendingWorkflowTask?.attempt ?? 0) >= 2) {
      stuck.push({ workflowId: info.workflowId, status, problem: `workflow task at attempt ${description.raw.pendingWorkflowTask?.attempt}` });
    }
    const history = await handle.fetchHistory();
    for (const historyEvent of history.events ?? []) {
      const failed = historyEvent.workflowTaskFailedEventAttributes;
      // UnhandledCommand is Temporal's normal answer to a signal arriving while the workflow completes: retried at once.
      if (failed && failed.cause !== WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND) {
        stuck.push({ workflowId: info.workflowId, status, problem: `workflow task failed: ${failed.failure?.message ?? ''}` });
        break;
      }
    }
    if (status === 'FAILED' || status === 'TERMINATED') stuck.push({ workflowId: info.workflowId, status, problem: status.toLowerCase() });
  }
  return { total, stuck };
}

describe('Stripe webhook route under mutated, signed events (fast-check)', () => {
  it(`never answers 5xx and leaves no workflow stuck (seed ${SEED}, ${NUM_RUNS} runs)`, async () => {
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(eventArb, async (event) => {
        const payload = JSON.stringify(event);
        const response = await api(app, 'POST', '/v1/webhooks/stripe', {
          rawBody: payload,
          headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
        });
        const key = response.status === 200 ? `200 ${response.body.status}` : String(response.status);
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
        // Parked: an unlinked account's event, held for replay (src/webhooks/park.ts).
        if (response.status === 200) expect(['ignored', 'routed', 'parked']).toContain(response.body.status);
        else expect(response.status).toBe(413); // only a body past WEBHOOK_BODY_LIMIT is refused
      }),
      { seed: SEED, numRuns: NUM_RUNS, endOnFailure: true },
    );
    // The generators must reach the workflows, or the second property says nothing.
    expect(outcomes.get('200 routed') ?? 0, JSON.stringify([...outcomes])).toBeGreaterThan(10);
    expect(outcomes.get('200 ignored') ?? 0).toBeGreaterThan(10);

    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const { total, stuck } = await stuckWorkflows();
    expect(total).toBeGreaterThan(0);
    expect(stuck).toEqual([]);
  });
});
