import { randomBytes } from 'node:crypto';
import { sql, type ColumnType } from 'kysely';
import type { Db } from './connection.js';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export type ClientTables = {
  clients: {
    tenant_id: string;
    id: string;
    email: string | null;
    name: string | null;
    phone: string | null;
    stripe_customer_id: string | null;
    /** Migration 0017: the end user (JWT subject) who may see this client's invoices. */
    user_id: ColumnType<string | null, string | null | undefined, string | null>;
    created_at: CreatedAt;
    updated_at: UpdatedAt;
  };
};

export interface ClientRecord {
  id: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  stripeCustomerId: string | null;
  userId: string | null;
}

const clientsDb = (db: Db) => db.withTables<ClientTables>();

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

export async function findClient(db: Db, tenantId: string, id: string): Promise<ClientRecord | undefined> {
  const row = await clientsDb(db).selectFrom('clients').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findClientByEmail(db: Db, tenantId: string, email: string): Promise<ClientRecord | undefined> {
  const row = await clientsDb(db)
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
  db: Db,
  tenantId: string,
  client: { email: string; name?: string | null; userId?: string },
): Promise<ClientRecord> {
  const existing = await findClientByEmail(db, tenantId, client.email);
  if (existing) {
    if (client.userId === undefined || existing.userId !== null) return existing;
    const linked = await clientsDb(db)
      .updateTable('clients')
      .set({ user_id: sql<string>`coalesce(user_id, ${client.userId})`, updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', existing.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(linked);
  }
  const row = await clientsDb(db)
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
  db: Db,
  tenantId: string,
  customer: { stripeCustomerId: string; email: string | null; name: string | null; phone?: string | null },
): Promise<ClientRecord> {
  const cdb = clientsDb(db);
  await cdb
    .insertInto('clients')
    .values({ tenant_id: tenantId, id: newClientId(), email: customer.email, name: customer.name, phone: customer.phone ?? null, stripe_customer_id: customer.stripeCustomerId })
    .onConflict((oc) => oc.columns(['tenant_id', 'stripe_customer_id']).doNothing())
    .execute();
  // Fill in what an earlier, emptier invoice did not know.
  const row = await cdb
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
export async function setClientUser(db: Db, tenantId: string, id: string, userId: string | null): Promise<ClientRecord | undefined> {
  const row = await clientsDb(db)
    .updateTable('clients')
    .set({ user_id: userId, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}
