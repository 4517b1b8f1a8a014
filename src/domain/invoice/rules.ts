/**
 * Pure, deterministic invoice state rules shared by the Invoice workflow and the database upsert (which runs
 * them again under a row lock, so a direct caller such as an import is order-safe too). No I/O, no clock.
 */
import type {
  InvoiceStatus,
  StripeInvoiceSnapshot,
  StripeInvoiceStatus,
  StripeInvoiceView,
  StripeStatusTransitions,
} from './contracts.js';

/** draft < open < uncollectible < {paid, void}. An invoice only ever moves up this order in Stripe. */
export const STRIPE_STATUS_RANK: Record<StripeInvoiceStatus, number> = { draft: 0, open: 1, uncollectible: 2, paid: 3, void: 3 };

export const TERMINAL_STRIPE_STATUSES: ReadonlySet<StripeInvoiceStatus> = new Set(['paid', 'void']);
export const TERMINAL_INVOICE_STATUSES: ReadonlySet<InvoiceStatus> = new Set(['paid', 'cancelled']);

export function toInvoiceStatus(status: StripeInvoiceStatus): InvoiceStatus {
  switch (status) {
    case 'draft':
      return 'draft';
    case 'open':
    case 'uncollectible':
      return 'pending';
    case 'paid':
      return 'paid';
    case 'void':
      return 'cancelled';
  }
}

const laterOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/** Union of two transition sets: each timestamp, once seen, is kept (the latest if they differ). Commutative. */
export function mergeTransitions(a: StripeStatusTransitions, b: StripeStatusTransitions): StripeStatusTransitions {
  return {
    finalizedAt: laterOf(a.finalizedAt, b.finalizedAt),
    paidAt: laterOf(a.paidAt, b.paidAt),
    voidedAt: laterOf(a.voidedAt, b.voidedAt),
    markedUncollectibleAt: laterOf(a.markedUncollectibleAt, b.markedUncollectibleAt),
  };
}

type Key = [rank: number, eventAt: number, eventId: string];

function compareKeys(a: Key, b: Key): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

export type MergeOutcome = 'applied' | 'stale' | 'conflict';

/**
 * Folds one Stripe snapshot into what we know. The fields come from the snapshot with the highest
 * (status rank, event time, event id), so any delivery order ends in the same view; terminal statuses never
 * regress. Two different terminal statuses (paid vs void) are a conflict: the caller re-fetches the invoice and
 * passes Stripe's answer with `authoritative`, which may replace one terminal status by the other but still
 * never moves down the rank.
 */
export function mergeStripeView(
  current: StripeInvoiceView | null | undefined,
  incoming: StripeInvoiceSnapshot,
  event: { at: number; id: string },
  options: { authoritative?: boolean } = {},
): { view: StripeInvoiceView; outcome: MergeOutcome } {
  const transitions = current ? mergeTransitions(current.transitions, incoming.transitions) : incoming.transitions;
  const fromIncoming: StripeInvoiceView = {
    status: incoming.status,
    transitions,
    amountDue: incoming.amountDue,
    amountPaid: incoming.amountPaid,
    currency: incoming.currency,
    dueDate: incoming.dueDate,
    customerId: incoming.customerId,
    subscriptionId: incoming.subscriptionId,
    lastEventAt: event.at,
    lastEventId: event.id,
  };
  if (!current) return { view: fromIncoming, outcome: 'applied' };
  const incomingRank = STRIPE_STATUS_RANK[incoming.status];
  const currentRank = STRIPE_STATUS_RANK[current.status];
  const bothTerminal = TERMINAL_STRIPE_STATUSES.has(current.status) && TERMINAL_STRIPE_STATUSES.has(incoming.status);
  if (bothTerminal && current.status !== incoming.status) {
    if (options.authoritative) return { view: fromIncoming, outcome: 'applied' };
    return { view: current, outcome: 'conflict' };
  }
  if (options.authoritative && incomingRank >= currentRank) return { view: fromIncoming, outcome: 'applied' };
  const newer = compareKeys([incomingRank, event.at, event.id], [currentRank, current.lastEventAt, current.lastEventId]) > 0;
  return newer ? { view: fromIncoming, outcome: 'applied' } : { view: { ...current, transitions }, outcome: 'stale' };
}

/** paid_at comes from Stripe's status_transitions.paid_at (unix seconds → epoch ms); the event time if Stripe omits it. */
export function paidAtMsOf(view: StripeInvoiceView): number | null {
  if (view.status !== 'paid') return null;
  return (view.transitions.paidAt ?? view.lastEventAt) * 1000;
}
