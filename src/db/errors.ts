/** PostgreSQL SQLSTATE codes we map to domain outcomes. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_CHECK_VIOLATION = '23514';

/** SQLSTATE classes: 22 data exception (bad value, NUL byte, out of range), 23 integrity constraint violation. */
export const PG_DATA_EXCEPTION_CLASS = '22';
export const PG_INTEGRITY_CONSTRAINT_CLASS = '23';

/**
 * Class-23 codes that are not a verdict on the input: a unique violation is a race with a concurrent writer
 * (repositories resolve it themselves with onConflict or by re-reading the winner; one that still escapes is
 * resolved by retrying, when the retry finds the committed row).
 */
export const PG_RETRIED_CONSTRAINT_CODES: ReadonlySet<string> = new Set([PG_UNIQUE_VIOLATION]);

export function pgErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** The SQLSTATE of a PostgreSQL error (five digits/capitals), not a Node system code such as ECONNREFUSED. */
export function pgSqlState(error: unknown): string | undefined {
  const code = pgErrorCode(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
