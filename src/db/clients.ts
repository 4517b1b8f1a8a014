import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { DbExecutor } from './schema.js';

export interface ClientRecord {
  id: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  stripeCustomerId: string | null;
  userId: string | null;
}

export const newClientId = (): string => `cli_${randomBytes(12).toString('hex')}`;

function toRecord(row: {
  id: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  stripe_customer_id: string | null;
  user_id: string | null;
}): ClientRecord {
  return { id: row.id, email: row.email, name: row.name, phone: row.phone, stripeCustomerId: row.stripe_customer_id, userId: row.user_id };
}

export async function findClient(db: DbExecutor, tenantId: string, id: string): Promise<ClientRecord | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findClientByEmail(db: DbExecutor, tenantId: string, email: string): Promise<ClientRecord | undefined> {
  const row = await db
    .selectFrom('clients')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .orderBy('created_at')
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/**
 * A manual invoice's client: reuses the tenant's client with this email, else creates one. A given userId links a
 * client not linked yet; the caller compares it with the answer's userId (a client linked to someone else stays so).
 */
export async function findOrCreateClientByEmail(
  db: DbExecutor,
  tenantId: string,
  client: { email: string; name?: string | null; userId?: string },
): Promise<ClientRecord> {
  const existing = await findClientByEmail(db, tenantId, client.email);
  if (existing) {
    if (client.userId === undefined || existing.userId !== null) return existing;
    const linked = await db
      .updateTable('clients')
      .set({ user_id: sql<string>`coalesce(user_id, ${client.userId})`, updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', existing.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(linked);
  }
  const row = await db
    .insertInto('clients')
    .values({ tenant_id: tenantId, id: newClientId(), email: client.email, name: client.name ?? null, user_id: client.userId ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

/**
 * The client for a Stripe customer, created on the fly from the invoice's customer email/name. Unique per
 * (tenant, stripe_customer_id), so concurrent invoices of one new customer create one client.
 */
export async function ensureClientForStripeCustomer(
  db: DbExecutor,
  tenantId: string,
  customer: { stripeCustomerId: string; email: string | null; name: string | null; phone?: string | null },
): Promise<ClientRecord> {
  await db
    .insertInto('clients')
    .values({ tenant_id: tenantId, id: newClientId(), email: customer.email, name: customer.name, phone: customer.phone ?? null, stripe_customer_id: customer.stripeCustomerId })
    .onConflict((oc) => oc.columns(['tenant_id', 'stripe_customer_id']).doNothing())
    .execute();
  // Fill in what an earlier, emptier invoice did not know.
  const row = await db
    .updateTable('clients')
    .set({
      email: sql<string | null>`coalesce(email, ${customer.email})`,
      name: sql<string | null>`coalesce(name, ${customer.name})`,
      phone: sql<string | null>`coalesce(phone, ${customer.phone ?? null})`,
      updated_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where('stripe_customer_id', '=', customer.stripeCustomerId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

/** Links a client to an end user (or unlinks it with null); undefined for an unknown client. */
export async function setClientUser(db: DbExecutor, tenantId: string, id: string, userId: string | null): Promise<ClientRecord | undefined> {
  const row = await db
    .updateTable('clients')
    .set({ user_id: userId, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}
