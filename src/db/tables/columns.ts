import type { ColumnType } from 'kysely';

/** bigint columns come back from pg as strings; repositories convert them at their edge (toSafeInteger). */
export type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>;
export type NullableBigInt = ColumnType<string | null, number | bigint | string | null | undefined, number | bigint | string | null>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
export type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** A jsonb column: written as JSON text, read back parsed. */
export type Json<T> = ColumnType<T, string | undefined, string>;
