import { describe, expect, it } from 'vitest';
import { compareSameSecond, regresses, snapshotSupersedes, statusSupersedes } from '../../../src/domain/subscription/lifecycle.js';

describe('regresses', () => {
  it('is true only for a move to an earlier phase', () => {
    expect(regresses('canceled', 'active')).toBe(true);
    expect(regresses('active', 'incomplete')).toBe(true);
    expect(regresses('active', 'past_due')).toBe(false);
    expect(regresses('past_due', 'active')).toBe(false);
    expect(regresses('pending', 'incomplete')).toBe(false);
    expect(regresses('incomplete_expired', 'canceled')).toBe(false);
  });
});

describe('compareSameSecond', () => {
  it('orders by lifecycle rank first', () => {
    expect(compareSameSecond({ status: 'active', at: 10 }, { status: 'trialing', at: 10 })).toBe(1);
    expect(compareSameSecond({ status: 'trialing', at: 10 }, { status: 'canceled', at: 10 })).toBe(-2);
  });

  it('then by source: created < updated = invoice = observed = unknown < deleted', () => {
    const created = { status: 'active', at: 10, source: 'customer.subscription.created' } as const;
    const updated = { status: 'past_due', at: 10, source: 'customer.subscription.updated' } as const;
    expect(compareSameSecond(created, updated)).toBe(-1);
    expect(compareSameSecond(updated, { status: 'active', at: 10, source: 'invoice' })).toBe(0);
    expect(compareSameSecond(updated, { status: 'active', at: 10 })).toBe(0);
    expect(compareSameSecond({ status: 'canceled', at: 10, source: 'customer.subscription.deleted' }, { status: 'canceled', at: 10, source: 'observed' })).toBe(1);
  });
});

describe('snapshotSupersedes', () => {
  it('takes a strictly newer snapshot unless it regresses the phase', () => {
    expect(snapshotSupersedes({ status: 'past_due', at: 20 }, { status: 'active', at: 10 }, 'active')).toBe(true);
    expect(snapshotSupersedes({ status: 'active', at: 20 }, { status: 'canceled', at: 10 }, 'canceled')).toBe(false);
  });

  it('refuses an older snapshot, even one further along', () => {
    expect(snapshotSupersedes({ status: 'canceled', at: 5 }, { status: 'active', at: 10 }, 'active')).toBe(false);
  });

  it('in the same second refuses a created event after an updated one', () => {
    const current = { status: 'active', at: 10, source: 'customer.subscription.updated' } as const;
    expect(snapshotSupersedes({ status: 'active', at: 10, source: 'customer.subscription.created' }, current, 'active')).toBe(false);
    expect(snapshotSupersedes({ status: 'past_due', at: 10, source: 'customer.subscription.updated' }, current, 'active')).toBe(true);
  });
});

describe('statusSupersedes', () => {
  it('moves forward in phase whatever the time', () => {
    expect(statusSupersedes({ status: 'canceled', at: 5, source: 'customer.subscription.deleted' }, { status: 'past_due', at: 10, source: 'invoice' })).toBe(true);
  });

  it('never moves back in phase', () => {
    expect(statusSupersedes({ status: 'active', at: 20, source: 'invoice' }, { status: 'canceled', at: 10 })).toBe(false);
  });

  it('within a phase goes by time, then rank and source', () => {
    expect(statusSupersedes({ status: 'active', at: 20, source: 'invoice' }, { status: 'past_due', at: 10 })).toBe(true);
    expect(statusSupersedes({ status: 'active', at: 5, source: 'invoice' }, { status: 'past_due', at: 10 })).toBe(false);
    expect(statusSupersedes({ status: 'trialing', at: 10 }, { status: 'active', at: 10 })).toBe(false);
    expect(statusSupersedes({ status: 'active', at: 10, source: 'invoice' }, { status: 'past_due', at: 10, source: 'customer.subscription.updated' })).toBe(true);
  });
});
