import type { DbExecutor } from './schema.js';

export type KeyClaim = 'first_use' | 'same_request' | 'other_request';

/** Binds (tenant, scope, key) to the request hash on first use; later uses say whether they match it. */
export async function claimIdempotencyKey(db: DbExecutor, input: { tenantId: string; scope: string; key: string; requestHash: string }): Promise<KeyClaim> {
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ tenant_id: input.tenantId, scope: input.scope, key: input.key, request_hash: input.requestHash })
    .onConflict((oc) => oc.columns(['tenant_id', 'scope', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) return 'first_use';
  const row = await db
    .selectFrom('idempotency_keys')
    .select('request_hash')
    .where('tenant_id', '=', input.tenantId)
    .where('scope', '=', input.scope)
    .where('key', '=', input.key)
    .executeTakeFirst();
  return row?.request_hash === input.requestHash ? 'same_request' : 'other_request';
}

/** Frees a key whose first request was refused as invalid before it did anything, so a corrected request may use it. */
export async function releaseIdempotencyKey(db: DbExecutor, input: { tenantId: string; scope: string; key: string; requestHash: string }): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('tenant_id', '=', input.tenantId)
    .where('scope', '=', input.scope)
    .where('key', '=', input.key)
    .where('request_hash', '=', input.requestHash)
    .execute();
}
