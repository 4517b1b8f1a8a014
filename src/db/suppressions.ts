import type { Channel } from '../domain/messaging/contracts.js';
import type { DbExecutor, SuppressionReason } from './schema.js';

export type { SuppressionReason } from './schema.js';

/** tenant_id '*' suppresses the address for every tenant (an SMS STOP reply blocks our shared sender). */
export const ALL_TENANTS = '*';

/** Lower-cased, trimmed email; E.164 phone (`+` and digits, separators removed). Undefined if not a valid address. */
export function normaliseAddress(channel: Channel, address: string): string | undefined {
  const trimmed = address.trim();
  if (channel === 'email') {
    const lower = trimmed.toLowerCase();
    return /^[^\s@<>",]+@[^\s@<>",]+\.[^\s@<>",]+$/.test(lower) ? lower : undefined;
  }
  const compact = trimmed.replace(/[\s().-]/g, '');
  return /^\+[1-9]\d{6,14}$/.test(compact) ? compact : undefined;
}

function normalisedOrRaw(channel: Channel, address: string): string {
  return normaliseAddress(channel, address) ?? address.trim().toLowerCase();
}

/** Idempotent: the first reason recorded for an address stays. */
export async function suppress(db: DbExecutor, tenantId: string, channel: Channel, address: string, reason: SuppressionReason): Promise<void> {
  await db
    .insertInto('message_suppressions')
    .values({ tenant_id: tenantId, channel, address: normalisedOrRaw(channel, address), reason })
    .onConflict((oc) => oc.columns(['tenant_id', 'channel', 'address']).doNothing())
    .execute();
}

/** Removes a suppression (e.g. an SMS START reply lifts a STOP). Only rows with the given reason go. */
export async function unsuppress(db: DbExecutor, tenantId: string, channel: Channel, address: string, reason: SuppressionReason): Promise<void> {
  await db
    .deleteFrom('message_suppressions')
    .where('tenant_id', '=', tenantId)
    .where('channel', '=', channel)
    .where('address', '=', normalisedOrRaw(channel, address))
    .where('reason', '=', reason)
    .execute();
}

/** True if the address is suppressed on this channel for this tenant, or for all tenants. */
export async function isSuppressed(db: DbExecutor, tenantId: string, channel: Channel, address: string): Promise<boolean> {
  const row = await db
    .selectFrom('message_suppressions')
    .select('reason')
    .where('tenant_id', 'in', [tenantId, ALL_TENANTS])
    .where('channel', '=', channel)
    .where('address', '=', normalisedOrRaw(channel, address))
    .executeTakeFirst();
  return row !== undefined;
}
