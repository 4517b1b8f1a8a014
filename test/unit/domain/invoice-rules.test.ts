import { describe, expect, it } from 'vitest';
import type { StripeInvoiceSnapshot, StripeInvoiceStatus, StripeInvoiceView, StripeStatusTransitions } from '../../../src/domain/invoice/contracts.js';
import { mergeStripeView, mergeTransitions, paidAtMsOf, toInvoiceStatus } from '../../../src/domain/invoice/rules.js';

const NO_TRANSITIONS: StripeStatusTransitions = { finalizedAt: null, paidAt: null, voidedAt: null, markedUncollectibleAt: null };

function snapshot(status: StripeInvoiceStatus, overrides: Partial<StripeInvoiceSnapshot> = {}): StripeInvoiceSnapshot {
  return {
    id: 'in_1',
    status,
    transitions: NO_TRANSITIONS,
    created: 1_700_000_000,
    amountDue: 5_000,
    amountPaid: 0,
    currency: 'usd',
    dueDate: null,
    customerId: 'cus_1',
    customerEmail: null,
    customerName: null,
    description: null,
    subscriptionId: null,
    attemptCount: 0,
    lines: [],
    ...overrides,
  };
}

const fold = (events: Array<[StripeInvoiceSnapshot, number, string]>): StripeInvoiceView | null =>
  events.reduce<StripeInvoiceView | null>((view, [incoming, at, id]) => mergeStripeView(view, incoming, { at, id }).view, null);

describe('toInvoiceStatus', () => {
  it.each([
    ['draft', 'draft'],
    ['open', 'pending'],
    ['uncollectible', 'pending'],
    ['paid', 'paid'],
    ['void', 'cancelled'],
  ] as const)('maps Stripe %s to %s', (stripe, ours) => {
    expect(toInvoiceStatus(stripe)).toBe(ours);
  });
});

describe('mergeTransitions', () => {
  it('keeps every timestamp seen, the later one when both have it', () => {
    expect(
      mergeTransitions(
        { finalizedAt: 100, paidAt: null, voidedAt: null, markedUncollectibleAt: 300 },
        { finalizedAt: 150, paidAt: 200, voidedAt: null, markedUncollectibleAt: null },
      ),
    ).toEqual({ finalizedAt: 150, paidAt: 200, voidedAt: null, markedUncollectibleAt: 300 });
  });
});

describe('mergeStripeView', () => {
  const open = snapshot('open', { transitions: { ...NO_TRANSITIONS, finalizedAt: 100 } });
  const paid = snapshot('paid', { amountPaid: 5_000, transitions: { ...NO_TRANSITIONS, finalizedAt: 100, paidAt: 200 } });

  it('applies the first snapshot as it is', () => {
    expect(mergeStripeView(null, open, { at: 100, id: 'evt_1' })).toEqual({
      outcome: 'applied',
      view: {
        status: 'open',
        transitions: { ...NO_TRANSITIONS, finalizedAt: 100 },
        amountDue: 5_000,
        amountPaid: 0,
        currency: 'usd',
        dueDate: null,
        customerId: 'cus_1',
        subscriptionId: null,
        lastEventAt: 100,
        lastEventId: 'evt_1',
      },
    });
  });

  it('ends in the same view whatever order the events arrive in', () => {
    const inOrder = fold([
      [open, 100, 'evt_1'],
      [paid, 200, 'evt_2'],
    ]);
    const reversed = fold([
      [paid, 200, 'evt_2'],
      [open, 100, 'evt_1'],
    ]);
    expect(reversed).toEqual(inOrder);
    expect(inOrder).toMatchObject({ status: 'paid', amountPaid: 5_000, lastEventId: 'evt_2' });
  });

  it('calls a lower-ranked late snapshot stale but keeps its transitions', () => {
    const current = mergeStripeView(null, paid, { at: 200, id: 'evt_2' }).view;
    const late = snapshot('open', { transitions: { ...NO_TRANSITIONS, finalizedAt: 100, markedUncollectibleAt: 150 } });
    const result = mergeStripeView(current, late, { at: 300, id: 'evt_3' });
    expect(result.outcome).toBe('stale');
    expect(result.view).toEqual({ ...current, transitions: { ...current.transitions, markedUncollectibleAt: 150 } });
  });

  it('breaks a tie of rank and time by event id', () => {
    const a = snapshot('open', { amountDue: 1_000 });
    const b = snapshot('open', { amountDue: 2_000 });
    expect(fold([[a, 100, 'evt_b'], [b, 100, 'evt_a']])).toMatchObject({ amountDue: 1_000, lastEventId: 'evt_b' });
    expect(fold([[b, 100, 'evt_a'], [a, 100, 'evt_b']])).toMatchObject({ amountDue: 1_000, lastEventId: 'evt_b' });
  });

  it('reports paid against void as a conflict until Stripe answers authoritatively', () => {
    const current = mergeStripeView(null, paid, { at: 200, id: 'evt_2' }).view;
    const voided = snapshot('void', { transitions: { ...NO_TRANSITIONS, voidedAt: 250 } });
    expect(mergeStripeView(current, voided, { at: 250, id: 'evt_3' })).toEqual({ view: current, outcome: 'conflict' });
    const authoritative = mergeStripeView(current, voided, { at: 250, id: 'evt_3' }, { authoritative: true });
    expect(authoritative.outcome).toBe('applied');
    expect(authoritative.view.status).toBe('void');
  });

  it('never moves down the rank, even authoritatively', () => {
    const current = mergeStripeView(null, paid, { at: 200, id: 'evt_2' }).view;
    expect(mergeStripeView(current, open, { at: 300, id: 'evt_3' }, { authoritative: true }).outcome).toBe('stale');
  });
});

describe('paidAtMsOf', () => {
  it("takes Stripe's paid_at in epoch ms, else the event time, and null while not paid", () => {
    const view = (status: StripeInvoiceStatus, paidAt: number | null): StripeInvoiceView => ({
      ...mergeStripeView(null, snapshot(status, { transitions: { ...NO_TRANSITIONS, paidAt } }), { at: 1_700_000_500, id: 'evt_1' }).view,
    });
    expect(paidAtMsOf(view('paid', 1_700_000_123))).toBe(1_700_000_123_000);
    expect(paidAtMsOf(view('paid', null))).toBe(1_700_000_500_000);
    expect(paidAtMsOf(view('open', 1_700_000_123))).toBeNull();
  });
});
