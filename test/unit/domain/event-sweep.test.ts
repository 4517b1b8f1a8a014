import { describe, expect, it } from 'vitest';
import { planSweep, STRIPE_EVENT_RETENTION_SECONDS, sweepFrom } from '../../../src/domain/stripe-events/sweep.js';

describe('missed-event sweep cursor', () => {
  it('starts a first sweep at the initial lookback and never before Stripe\'s 30-day window', () => {
    expect(sweepFrom(undefined, 1_000_000_000, 3600)).toBe(999_996_400);
    expect(sweepFrom(undefined, 1_000_000_000, 40 * 24 * 3600)).toBe(1_000_000_000 - STRIPE_EVENT_RETENTION_SECONDS);
    expect(sweepFrom({ createdThrough: 999_999_000, idsAtCursor: [] }, 1_000_000_000, 3600)).toBe(999_999_000);
    expect(sweepFrom({ createdThrough: 1, idsAtCursor: [] }, 1_000_000_000, 3600)).toBe(1_000_000_000 - STRIPE_EVENT_RETENTION_SECONDS);
  });

  it('dispatches oldest first and moves the cursor to the newest second with its ids', () => {
    const plan = planSweep(undefined, [
      { id: 'evt_c', created: 30 },
      { id: 'evt_b', created: 20 },
      { id: 'evt_d', created: 30 },
      { id: 'evt_a', created: 10 },
    ]);
    expect(plan.dispatch.map((event) => event.id)).toEqual(['evt_a', 'evt_b', 'evt_c', 'evt_d']);
    expect(plan.next).toEqual({ createdThrough: 30, idsAtCursor: ['evt_c', 'evt_d'] });
  });

  it('a second sweep over the same list dispatches nothing; a new event in the cursor second is dispatched once', () => {
    const first = planSweep(undefined, [{ id: 'evt_a', created: 30 }]);
    const again = planSweep(first.next, [{ id: 'evt_a', created: 30 }]);
    expect(again).toEqual({ dispatch: [], next: { createdThrough: 30, idsAtCursor: ['evt_a'] } });
    const later = planSweep(again.next, [
      { id: 'evt_a', created: 30 },
      { id: 'evt_b', created: 30 },
      { id: 'evt_old', created: 29 },
    ]);
    expect(later).toEqual({ dispatch: [{ id: 'evt_b', created: 30 }], next: { createdThrough: 30, idsAtCursor: ['evt_a', 'evt_b'] } });
  });
});
