import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DbExecutor } from './schema.js';
import { createDb } from './connection.js';
import type { ApiKeyRole } from './schema.js';
import { ensureTenant } from './tenants.js';

const KEY_PREFIX = 'pk';

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Keys look like `pk_<id>_<secret>`: the id finds the row, only the secret's hash is stored. */
export async function createApiKey(
  db: DbExecutor,
  input: { tenantId: string; name: string; role: ApiKeyRole },
): Promise<{ id: string; key: string }> {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  await db
    .insertInto('api_keys')
    .values({ id, tenant_id: input.tenantId, name: input.name, role: input.role, key_hash: hashSecret(secret) })
    .execute();
  return { id, key: `${KEY_PREFIX}_${id}_${secret}` };
}

export interface ApiKeyPrincipal {
  tenantId: string;
  role: ApiKeyRole;
  keyId: string;
}

export async function verifyApiKey(db: DbExecutor, presented: string): Promise<ApiKeyPrincipal | undefined> {
  const match = /^pk_([0-9a-f]{16})_([A-Za-z0-9_-]{32})$/.exec(presented);
  if (!match) return undefined;
  const [, id, secret] = match as unknown as [string, string, string];
  const row = await db
    .selectFrom('api_keys')
    .select(['tenant_id', 'role', 'key_hash'])
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const expected = Buffer.from(row.key_hash, 'hex');
  const actual = Buffer.from(hashSecret(secret), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  return { tenantId: row.tenant_id, role: row.role, keyId: id };
}

export async function ensureDevTenantAndKey(databaseUrl: string): Promise<{ tenantId: string; apiKey: string }> {
  const db = createDb(databaseUrl, { max: 1 });
  try {
    await ensureTenant(db, { id: 'dev', name: 'Development tenant' });
    const { key } = await createApiKey(db, { tenantId: 'dev', name: `npm start ${new Date().toISOString()}`, role: 'admin' });
    return { tenantId: 'dev', apiKey: key };
  } finally {
    await db.destroy();
  }
}
