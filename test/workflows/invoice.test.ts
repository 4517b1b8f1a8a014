import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { ExcessPaymentActivities } from '../../activities/excess-payments.js';
import type { InvoiceActivities } from '../../activities/invoice.js';
import type { InvoiceEvent, InvoiceRecord, StripeInvoiceEvent, StripeInvoiceSnapshot } from '../../src/domain/invoice/contracts.js';
import { mergeStripeView, paidAtMsOf, toInvoiceStatus } from '../../src/domain/invoice/rules.js';
import {
  createPaymentLinkUpdate,
  INVOICE_PAID_ERROR,
  invoiceEventSignal,
  invoiceStateQuery,
  type InvoiceState,
} from '../../workflows/invoice/messages.js';
import { invoiceWorkflow } from '../../workflows/invoice/workflow.js';
import type { RecoveryHookActivities } from '../../activities/recovery-hooks.js';
import { manualInvoiceRecord } from '../helpers/invoice-records.js';
import { fakeRecoveryHooks } from '../helpers/recovery-hook-fakes.js';
import { recordHistory, timeSkippingSuite } from '../helpers/temporal.js';

/** The activity clock the fakes report (workflow code takes its "now" from activity results). */
const NOW_MS = 1_800_000_000_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** In-memory stand-in for PostgreSQL, applying the same pure merge rules the real upsert applies under a row lock. */
function fakeActivities(options: { retrieve?: StripeInvoiceSnapshot | null } = {}) {
  const calls: Array<{ name: string; input: unknown }> = [];
  const records = new Map<string, InvoiceRecord>();
  const paid = new Map<string, string>();
  const activities: InvoiceActivities = {
    async loadInvoice(input) {
      calls.push({ name: 'loadInvoice', input });
      return { invoice: records.get(input.invoiceId) ?? null, nowMs: NOW_MS };
    },
    async upsertInvoiceFromStripe(input) {
      calls.push({ name: 'upsertInvoiceFromStripe', input });
      const current = records.get(input.invoice.id);
      const { view, outcome } = mergeStripeView(current?.stripe, input.invoice, { at: input.eventCreated, id: input.eventId }, { authoritative: input.authoritative });
      const base: InvoiceRecord = current ?? {
        id: input.invoice.id,
        source: 'stripe',
        stripeInvoiceId: input.invoice.id,
        clientId: 'cli_1',
        status: 'draft',
        overdue: false,
        overdueReason: null,
        amountDue: 0,
        amountPaid: 0,
        currency: 'usd',
        dueAtMs: null,
        paidAtMs: null,
        paymentLink: null,
        paymentLinkActive: null,
        stripe: null,
      };
      if (outcome === 'conflict') return { outcome, invoice: base, nowMs: NOW_MS };
      const status = toInvoiceStatus(view.status);
      const terminal = status === 'paid' || status === 'cancelled';
      const next: InvoiceRecord = {
        ...base,
        status,
        overdue: terminal ? false : base.overdue,
        overdueReason: terminal ? null : base.overdueReason,
        amountDue: view.amountDue,
        amountPaid: view.amountPaid,
        currency: view.currency,
        dueAtMs: view.dueDate === null ? null : view.dueDate * 1000,
        paidAtMs: paidAtMsOf(view),
        stripe: view,
      };
      records.set(next.id, next);
      return { outcome: current ? outcome : 'inserted', invoice: next, nowMs: NOW_MS };
    },
    async retrieveInvoice(input) {
      calls.push({ name: 'retrieveInvoice', input });
      return options.retrieve ?? null;
    },
    async markInvoiceOverdue(input) {
      calls.push({ name: 'markInvoiceOverdue', input });
      const record = records.get(input.invoiceId);
      if (!record || record.status !== 'pending') return { marked: false };
      records.set(input.invoiceId, { ...record, overdue: true, overdueReason: input.reason });
      return { marked: true };
    },
    async recordInvoicePayment(input) {
      calls.push({ name: 'recordInvoicePayment', input });
      const record = records.get(input.invoiceId);
      if (!record) return { outcome: 'unknown_invoice', invoice: null };
      if (paid.has(input.invoiceId)) return { outcome: 'already_paid', invoice: record, paidBy: paid.get(input.invoiceId)! };
      paid.set(input.invoiceId, input.checkoutSessionId);
      if (record.status === 'cancelled') return { outcome: 'paid_after_void', invoice: record };
      const next: InvoiceRecord = { ...record, status: 'paid', paidAtMs: input.paidAtMs, amountPaid: input.amount, overdue: false, overdueReason: null };
      records.set(input.invoiceId, next);
      return { outcome: 'paid', invoice: next };
    },
    async createPaymentLink(input) {
      calls.push({ name: 'createPaymentLink', input });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const link = { id: 'plink_1', url: `https://buy.stripe.com/test_${input.invoiceId}` };
      const record = records.get(input.invoiceId);
      if (record) records.set(input.invoiceId, { ...record, paymentLink: link, paymentLinkActive: true });
      return link;
    },
    async deactivatePaymentLink(input) {
      calls.push({ name: 'deactivatePaymentLink', input });
      const record = records.get(input.invoiceId);
      if (record) records.set(input.invoiceId, { ...record, paymentLinkActive: false });
    },
  };
  const excess: ExcessPaymentActivities = {
    async refundExcessPayment(input) {
      calls.push({ name: 'refundExcessPayment', input });
      return { ...input, itemKind: input.item.kind, itemRef: input.item.ref, refundId: `re_${input.paymentIntentId}`, refundStatus: 'succeeded', detectedAt: new Date(NOW_MS).toISOString() };
    },
  };
  return {
    activities: { ...activities, ...excess, ...fakeRecoveryHooks(calls) },
    calls,
    records,
    count: (name: string) => calls.filter((call) => call.name === name).length,
  };
}


const noTransitions = { finalizedAt: null, paidAt: null, voidedAt: null, markedUncollectibleAt: null };

function snapshot(id: string, overrides: Partial<StripeInvoiceSnapshot>): StripeInvoiceSnapshot {
  return {
    id,
    status: 'draft',
    transitions: noTransitions,
    created: 1_000,
    amountDue: 5_000,
    amountPaid: 0,
    currency: 'usd',
    dueDate: NOW_MS / 1000 + 10 * 24 * 3600,
    customerId: 'cus_1',
    customerEmail: 'ada@example.com',
    customerName: 'Ada',
    description: null,
    subscriptionId: null,
    attemptCount: 0,
    lines: [],
    ...overrides,
  };
}

/** The four events of one invoice's life, each with its own Stripe object state and time. */
function lifecycle(id: string): Record<'created' | 'finalized' | 'payment_failed' | 'paid', StripeInvoiceEvent> {
  const finalized = { ...noTransitions, finalizedAt: 2_100 };
  return {
    created: { kind: 'stripe', eventId: `evt_${id}_created`, type: 'invoice.created', eventCreated: 2_000, invoice: snapshot(id, {}) },
    finalized: {
      kind: 'stripe',
      eventId: `evt_${id}_finalized`,
      type: 'invoice.finalized',
      eventCreated: 2_100,
      invoice: snapshot(id, { status: 'open', transitions: finalized }),
    },
    payment_failed: {
      kind: 'stripe',
      eventId: `evt_${id}_failed`,
      type: 'invoice.payment_failed',
      eventCreated: 2_200,
      invoice: snapshot(id, { status: 'open', transitions: finalized, attemptCount: 1 }),
    },
    paid: {
      kind: 'stripe',
      eventId: `evt_${id}_paid`,
      type: 'invoice.paid',
      eventCreated: 2_300,
      invoice: snapshot(id, { status: 'paid', transitions: { ...finalized, paidAt: 2_300 }, amountPaid: 5_000, attemptCount: 2 }),
    },
  };
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const retry = { intervalsMs: [100, 200] };
const suite = timeSkippingSuite('invoice');

function withWorker<T>(activities: InvoiceActivities & RecoveryHookActivities, run: (taskQueue: string) => Promise<T>): Promise<T> {
  return suite.withWorker(activities, run);
}

async function start(taskQueue: string, invoiceId: string, source: 'stripe' | 'manual') {
  return suite.env.client.workflow.start(invoiceWorkflow, {
    workflowId: `invoice:t1:${invoiceId}`,
    taskQueue,
    args: [{ tenantId: 't1', invoiceId, source, retry }],
  });
}

async function until(handle: { query: (q: typeof invoiceStateQuery) => Promise<InvoiceState> }, probe: (state: InvoiceState) => boolean): Promise<InvoiceState> {
  for (let i = 0; i < 200; i++) {
    const state = await handle.query(invoiceStateQuery);
    if (probe(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('workflow state never matched');
}

const finalView = (state: InvoiceState) => ({
  status: state.status,
  overdue: state.overdue,
  overdueReason: state.overdueReason,
  amountDue: state.amountDue,
  amountPaid: state.amountPaid,
  paidAtMs: state.paidAtMs,
  dueAtMs: state.dueAtMs,
  stripe: state.stripe,
});

describe('Invoice workflow', () => {
  it('ends in the same state for every delivery order of created/finalized/payment_failed/paid', async () => {
    const fake = fakeActivities();
    const orders = permutations(['created', 'finalized', 'payment_failed', 'paid'] as const);
    expect(orders).toHaveLength(24);
    await withWorker(fake.activities, async (taskQueue) => {
      const finals: Array<ReturnType<typeof finalView>> = [];
      for (const [i, order] of orders.entries()) {
        const id = `in_perm${i}`;
        const events = lifecycle(id);
        const handle = await start(taskQueue, id, 'stripe');
        for (const name of order) await handle.signal(invoiceEventSignal, events[name]);
        const state = await handle.result();
        expect(state.eventLog.filter((entry) => entry.eventId.startsWith('evt_')), order.join(',')).toHaveLength(4);
        finals.push(finalView(state));
      }
      const expected = {
        status: 'paid',
        overdue: false,
        overdueReason: null,
        amountDue: 5_000,
        amountPaid: 5_000,
        paidAtMs: 2_300_000,
        dueAtMs: NOW_MS + 10 * DAY_MS,
      };
      for (const [i, final] of finals.entries()) {
        expect(final, orders[i]!.join(',')).toMatchObject(expected);
        // Identical up to the invoice id inside the winning event id.
        const sameIds = (view: typeof final.stripe) => ({ ...view, lastEventId: view?.lastEventId.replace(/perm\d+/, 'perm') });
        expect(sameIds(final.stripe), orders[i]!.join(',')).toEqual(sameIds(finals[0]!.stripe));
        expect(final.stripe?.lastEventId).toMatch(/_paid$/);
      }
      // A late payment_failed never makes a paid invoice overdue; an early one did, then paid cleared it.
      expect(fake.count('retrieveInvoice')).toBe(0);
      // The natural order: payment_failed makes it overdue (recovery seam starts a campaign), paid notifies it.
      expect(orders[0]).toEqual(['created', 'finalized', 'payment_failed', 'paid']);
      await recordHistory(suite.env.client, 'invoice:t1:in_perm0', 'invoice-overdue-then-paid-lean-actions.json');
    });
  });

  it('records a Stripe invoice created, finalized, then paid (each event on its own) as paid, without overdue or recovery', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const events = lifecycle('in_created_paid');
      const handle = await start(taskQueue, 'in_created_paid', 'stripe');
      for (const name of ['created', 'finalized', 'paid'] as const) {
        await handle.signal(invoiceEventSignal, events[name]);
        await until(handle, (state) => state.eventLog.some((entry) => entry.eventId === events[name].eventId));
      }
      const state = await handle.result();
      expect(finalView(state)).toMatchObject({ status: 'paid', overdue: false, amountPaid: 5_000, paidAtMs: 2_300_000 });
      expect(fake.count('upsertInvoiceFromStripe')).toBe(3);
      expect(fake.count('markInvoiceOverdue')).toBe(0);
      expect(fake.count('startInvoiceRecovery')).toBe(0);
      await recordHistory(suite.env.client, handle.workflowId, 'invoice-created-then-paid-lean-actions.json');
    });
  });

  it('marks an unpaid invoice overdue when its due date passes, through the onOverdue seam, once', async () => {
    const fake = fakeActivities();
    fake.records.set('inv_due', manualInvoiceRecord('inv_due', { dueAtMs: NOW_MS + 3 * DAY_MS }));
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'inv_due', 'manual');
      const loaded = await until(handle, (state) => state.status === 'pending');
      expect(loaded.overdue).toBe(false);
      await suite.env.sleep(4 * DAY_MS);
      const state = await until(handle, (s) => s.overdue);
      expect(state).toMatchObject({ status: 'pending', overdue: true, overdueReason: 'due_date_passed' });
      expect(state.eventLog.filter((entry) => entry.type === 'overdue')).toHaveLength(1);
      expect(fake.calls.filter((call) => call.name === 'markInvoiceOverdue').map((call) => call.input)).toEqual([
        { tenantId: 't1', invoiceId: 'inv_due', reason: 'due_date_passed' },
      ]);
      expect(fake.calls.filter((call) => call.name === 'startInvoiceRecovery').map((call) => call.input)).toEqual([
        { tenantId: 't1', invoiceId: 'inv_due', retry: expect.anything() },
      ]);
      await handle.terminate();
      await recordHistory(suite.env.client, handle.workflowId, 'invoice-due-date-overdue.json');
    });
  });

  it('a payment failure marks an open Stripe invoice overdue', async () => {
    const fake = fakeActivities();
    const events = lifecycle('in_failed');
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'in_failed', 'stripe');
      await handle.signal(invoiceEventSignal, events.finalized);
      await handle.signal(invoiceEventSignal, events.payment_failed);
      const state = await until(handle, (s) => s.eventLog.length >= 2 && s.overdue);
      expect(state).toMatchObject({ status: 'pending', overdue: true, overdueReason: 'payment_failed' });
      await handle.terminate();
    });
  });

  it('duplicate events change nothing; a link payment marks paid exactly once and deactivates the link', async () => {
    const fake = fakeActivities();
    fake.records.set('inv_dup', manualInvoiceRecord('inv_dup'));
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'inv_dup', 'manual');
      const link = await handle.executeUpdate(createPaymentLinkUpdate, { args: [] });
      const paidEvent = (eventId: string): InvoiceEvent => ({
        kind: 'payment_link_paid',
        eventId,
        checkoutSessionId: 'cs_1',
        paymentLinkId: link.id,
        paymentStatus: 'paid',
        amountTotal: 2500,
        currency: 'eur',
        paidAt: 1_900_000_000,
      });
      for (let i = 0; i < 5; i++) await handle.signal(invoiceEventSignal, paidEvent('evt_paid_1'));
      await handle.signal(invoiceEventSignal, paidEvent('evt_paid_2'));
      const state = await handle.result();
      expect(state).toMatchObject({ status: 'paid', paidAtMs: 1_900_000_000_000, amountPaid: 2500, paymentLinkActive: false });
      expect(fake.count('recordInvoicePayment')).toBe(2);
      expect(state.eventLog.map((entry) => entry.outcome)).toEqual(['paid', 'already_paid']);
      expect(fake.count('deactivatePaymentLink')).toBe(1);
    });

    const stripeFake = fakeActivities();
    const events = lifecycle('in_dup');
    await withWorker(stripeFake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'in_dup', 'stripe');
      for (let i = 0; i < 5; i++) await handle.signal(invoiceEventSignal, events.finalized);
      await handle.signal(invoiceEventSignal, events.paid);
      await handle.signal(invoiceEventSignal, events.paid);
      const state = await handle.result();
      expect(state.status).toBe('paid');
      expect(stripeFake.count('upsertInvoiceFromStripe')).toBe(2);
      expect(state.eventLog).toHaveLength(2);
    });
  });

  it('refunds a second payment, and a payment on a void invoice, once each by a workflow step', async () => {
    const fake = fakeActivities();
    fake.records.set('inv_twice', manualInvoiceRecord('inv_twice'));
    fake.records.set('inv_void', manualInvoiceRecord('inv_void', { status: 'cancelled' }));
    const paidEvent = (eventId: string, session: string, paymentIntentId: string): InvoiceEvent => ({
      kind: 'payment_link_paid',
      eventId,
      checkoutSessionId: session,
      paymentIntentId,
      paymentLinkId: 'plink_1',
      paymentStatus: 'paid',
      amountTotal: 2500,
      currency: 'eur',
      paidAt: 1_900_000_000,
    });
    await withWorker(fake.activities, async (taskQueue) => {
      const twice = await start(taskQueue, 'inv_twice', 'manual');
      await twice.signal(invoiceEventSignal, paidEvent('evt_a', 'cs_a', 'pi_a'));
      // The same session reported again (async_payment_succeeded after completed) is the same money: no refund.
      await twice.signal(invoiceEventSignal, paidEvent('evt_a2', 'cs_a', 'pi_a'));
      await twice.signal(invoiceEventSignal, paidEvent('evt_b', 'cs_b', 'pi_b'));
      await twice.signal(invoiceEventSignal, paidEvent('evt_b', 'cs_b', 'pi_b'));
      const state = await twice.result();
      expect(state.status).toBe('paid');
      expect(state.eventLog.map((entry) => entry.outcome)).toEqual(['paid', 'already_paid', 'already_paid: excess refunded (re_pi_b)']);
      await recordHistory(suite.env.client, twice.workflowId, 'invoice-second-payment-refunded.json');

      const voided = await start(taskQueue, 'inv_void', 'manual');
      await voided.signal(invoiceEventSignal, paidEvent('evt_v', 'cs_v', 'pi_v'));
      const voidState = await voided.result();
      expect(voidState.status).toBe('cancelled');
      expect(voidState.eventLog.map((entry) => entry.outcome)).toEqual(['paid_after_void: excess refunded (re_pi_v)']);
    });
    const refunds = fake.calls.filter((call) => call.name === 'refundExcessPayment').map((call) => call.input as { paymentIntentId: string; item: unknown; amount: number });
    expect(refunds).toEqual([
      expect.objectContaining({ paymentIntentId: 'pi_b', item: { kind: 'invoice', ref: 'inv_twice' }, amount: 2500 }),
      expect.objectContaining({ paymentIntentId: 'pi_v', item: { kind: 'invoice', ref: 'inv_void' }, amount: 2500 }),
    ]);
  });

  it('re-fetches the invoice when a final state conflicts with another (void after paid) and follows Stripe', async () => {
    const events = lifecycle('in_conflict');
    const paidSnapshot = events.paid.invoice;
    const fake = fakeActivities({ retrieve: paidSnapshot });
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'in_conflict', 'stripe');
      await handle.signal(invoiceEventSignal, {
        kind: 'stripe',
        eventId: 'evt_void',
        type: 'invoice.voided',
        eventCreated: 2_400,
        invoice: snapshot('in_conflict', { status: 'void', transitions: { ...noTransitions, finalizedAt: 2_100, voidedAt: 2_400 } }),
      });
      await handle.signal(invoiceEventSignal, events.paid);
      const state = await handle.result();
      expect(fake.count('retrieveInvoice')).toBe(1);
      expect(state.status).toBe('paid');
      expect(state.eventLog.at(-1)?.outcome).toBe('conflict: resolved from Stripe as paid');
    });
  });

  it('creates one Payment Link for concurrent requests and refuses one for a paid invoice', async () => {
    const fake = fakeActivities();
    fake.records.set('inv_link', manualInvoiceRecord('inv_link'));
    fake.records.set('inv_paid', manualInvoiceRecord('inv_paid', { status: 'paid', paidAtMs: NOW_MS }));
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'inv_link', 'manual');
      const links = await Promise.all([1, 2, 3].map(() => handle.executeUpdate(createPaymentLinkUpdate, { args: [] })));
      expect(new Set(links.map((link) => link.url)).size).toBe(1);
      expect(fake.count('createPaymentLink')).toBe(1);
      await handle.terminate();

      const paidHandle = await start(taskQueue, 'inv_paid', 'manual');
      const error = await paidHandle.executeUpdate(createPaymentLinkUpdate, { args: [] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((error as WorkflowUpdateFailedError).cause).toMatchObject({ type: INVOICE_PAID_ERROR });
      await paidHandle.terminate();
    });
  });

  it('continues as new every 3 events without repeating or losing anything: dedup, overdue, recovery, link', async () => {
    const fake = fakeActivities();
    const invoiceId = 'inv_can';
    const workflowId = `invoice:t1:${invoiceId}`;
    fake.records.set(invoiceId, manualInvoiceRecord(invoiceId, { dueAtMs: NOW_MS + 3 * DAY_MS }));
    const checkout = (eventId: string, paymentStatus: 'unpaid' | 'paid'): InvoiceEvent => ({
      kind: 'payment_link_paid',
      eventId,
      checkoutSessionId: `cs_${eventId}`,
      paymentLinkId: 'plink_1',
      paymentStatus,
      amountTotal: 2500,
      currency: 'eur',
      paidAt: 1_900_000_000,
    });
    // A fresh handle each time: the time-skipping server does not follow the continue-as-new chain from the first one.
    const latest = () => suite.env.client.workflow.getHandle<typeof invoiceWorkflow>(workflowId);
    async function nextRun(previousRunId: string): Promise<string> {
      for (let i = 0; i < 200; i++) {
        const description = await latest().describe();
        if (description.runId !== previousRunId && description.status.name === 'RUNNING') return description.runId;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`${workflowId} never continued as new from run ${previousRunId}`);
    }
    const signal = (event: InvoiceEvent) => latest().signal(invoiceEventSignal, event);

    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(invoiceWorkflow, {
        workflowId,
        taskQueue,
        args: [{ tenantId: 't1', invoiceId, source: 'manual', retry, continueAsNewAfterEvents: 3 }],
      });
      const runs = [handle.firstExecutionRunId];
      const link = await handle.executeUpdate(createPaymentLinkUpdate, { args: [] });

      // Run 1: three checkout sessions completed without settling (an async payment method) → continue as new.
      for (const id of ['evt_cs_1', 'evt_cs_2', 'evt_cs_3']) await signal(checkout(id, 'unpaid'));
      runs.push(await nextRun(runs.at(-1)!));

      // Run 2: an early event redelivered, the due date passes (overdue, recovery campaign), three more events.
      await signal(checkout('evt_cs_1', 'unpaid'));
      await suite.env.sleep(4 * DAY_MS);
      await until(latest(), (s) => s.eventLog.some((entry) => entry.type === 'overdue'));
      for (const id of ['evt_cs_4', 'evt_cs_5', 'evt_cs_6']) await signal(checkout(id, 'unpaid'));
      runs.push(await nextRun(runs.at(-1)!));

      // Run 3 (reloaded as overdue): paid through the link, then two late events → continue as new while paid.
      await signal(checkout('evt_paid', 'paid'));
      for (const id of ['evt_cs_7', 'evt_cs_8']) await signal(checkout(id, 'unpaid'));
      runs.push(await nextRun(runs.at(-1)!));

      // Run 4: the payment and the first event redelivered; both dropped by the carried dedup ids.
      await signal(checkout('evt_paid', 'paid'));
      await signal(checkout('evt_cs_1', 'unpaid'));
      const final = await latest().result();

      expect(new Set(runs).size).toBe(4);
      const closed = await latest().describe();
      expect(closed.runId).toBe(runs[3]);
      expect(closed.status.name).toBe('COMPLETED');
      expect(final).toMatchObject({ status: 'paid', overdue: false, amountPaid: 2500, paymentLink: link, paymentLinkActive: false });
      // The event log carried across all four runs: every event once, the overdue transition once.
      expect(final.eventLog.map((entry) => entry.eventId)).toEqual([
        'evt_cs_1',
        'evt_cs_2',
        'evt_cs_3',
        'overdue:due_date_passed',
        'evt_cs_4',
        'evt_cs_5',
        'evt_cs_6',
        'evt_paid',
        'evt_cs_7',
        'evt_cs_8',
      ]);
      expect(final.eventLog.find((entry) => entry.eventId === 'evt_paid')?.outcome).toBe('paid');
      // Each run reloads the invoice once; every side effect happened exactly once across the runs.
      expect(fake.count('loadInvoice')).toBe(4);
      expect(fake.count('createPaymentLink')).toBe(1);
      expect(fake.count('markInvoiceOverdue')).toBe(1);
      expect(fake.count('startInvoiceRecovery')).toBe(1);
      expect(fake.count('recordInvoicePayment')).toBe(1);
      // The campaign started in run 2 is told of the payment in run 3, and not again when run 4 starts paid.
      expect(fake.calls.filter((call) => call.name === 'notifyItemPaid').map((call) => call.input)).toEqual([
        { tenantId: 't1', item: { kind: 'invoice', ref: invoiceId }, via: 'invoice' },
      ]);
      expect(fake.calls.filter((call) => call.name === 'deactivatePaymentLink').map((call) => call.input)).toEqual([
        { tenantId: 't1', invoiceId, paymentLinkId: link.id },
      ]);
    });
  });
});
