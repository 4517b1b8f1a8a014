/** Migration 0014. */
export type IdempotencyKeyTables = {
  idempotency_keys: { tenant_id: string; scope: string; key: string; request_hash: string };
};
