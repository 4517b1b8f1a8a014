import type { ColumnType } from 'kysely';
import type { BigIntColumn, UpdatedAt } from './columns.js';

/** Migration 0018: where the missed-event sweep of each Stripe account got to. */
export type StripeEventCursorTables = {
  stripe_event_cursors: {
    account: string;
    created_through: BigIntColumn;
    ids_at_cursor: ColumnType<string[], string[] | undefined, string[]>;
    updated_at: UpdatedAt;
  };
};
