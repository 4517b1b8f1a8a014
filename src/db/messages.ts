import type { ColumnType, Generated, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Channel, MessageKey } from '../messaging/types.js';
import type { Db } from './connection.js';

/** Tables of migration 0007 (kept here rather than in schema.ts; `db.withTables` adds them to the Db type). */
export type MessageStatus = 'claimed' | 'sent' | 'failed' | 'possibly_sent' | 'delivered' | 'undelivered';

export type RecoveryMessagesTable = {
  id: Generated<string>;
  tenant_id: string;
  campaign_id: string;
  step: number;
  channel: Channel;
  recipient: string;
  status: MessageStatus;
  provider_id: string | null;
  error: string | null;
  permanent_failure: Generated<boolean>;
  attempts: Generated<number>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
};

export type MessagingTables = {
  recovery_messages: RecoveryMessagesTable;
};

const messagesDb = (db: Db) => db.withTables<MessagingTables>();

export interface RecoveryMessage {
  id: string;
  tenantId: string;
  campaignId: string;
  step: number;
  channel: Channel;
  recipient: string;
  status: MessageStatus;
  providerId: string | null;
  error: string | null;
  permanentFailure: boolean;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

function toMessage(row: Selectable<RecoveryMessagesTable>): RecoveryMessage {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    campaignId: row.campaign_id,
    step: row.step,
    channel: row.channel,
    recipient: row.recipient,
    status: row.status,
    providerId: row.provider_id,
    error: row.error,
    permanentFailure: row.permanent_failure,
    attempts: row.attempts,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export type ClaimResult = { claimed: true; id: string } | { claimed: false; existing: RecoveryMessage };

/**
 * Takes the send slot of one campaign step and channel: INSERT ... ON CONFLICT DO NOTHING on the unique
 * (tenant, campaign, step, channel). Exactly one caller ever gets `claimed: true` for a key; everybody else
 * gets the row as it is now.
 */
export async function claimMessage(db: Db, key: MessageKey, recipient: string): Promise<ClaimResult> {
  const inserted = await messagesDb(db)
    .insertInto('recovery_messages')
    .values({ tenant_id: key.tenantId, campaign_id: key.campaignId, step: key.step, channel: key.channel, recipient, status: 'claimed' })
    .onConflict((oc) => oc.columns(['tenant_id', 'campaign_id', 'step', 'channel']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { claimed: true, id: inserted.id };
  const existing = await findMessage(db, key);
  // Only reachable if the row was deleted (released) between the insert and the read: claim again.
  if (!existing) return claimMessage(db, key, recipient);
  return { claimed: false, existing };
}

/**
 * Re-takes a row that failed transiently (status 'failed', not permanent) for another attempt: a conditional
 * UPDATE, so of two concurrent retries only one wins. Returns false when someone else got it first.
 */
export async function reclaimFailedMessage(db: Db, id: string, recipient: string): Promise<boolean> {
  const result = await messagesDb(db)
    .updateTable('recovery_messages')
    .set({ status: 'claimed', recipient, error: null, attempts: sql<number>`attempts + 1`, updated_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .where('permanent_failure', '=', false)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function findMessage(db: Db, key: MessageKey): Promise<RecoveryMessage | undefined> {
  const row = await messagesDb(db)
    .selectFrom('recovery_messages')
    .selectAll()
    .where('tenant_id', '=', key.tenantId)
    .where('campaign_id', '=', key.campaignId)
    .where('step', '=', key.step)
    .where('channel', '=', key.channel)
    .executeTakeFirst();
  return row ? toMessage(row) : undefined;
}

export async function markMessage(
  db: Db,
  id: string,
  update: { status: MessageStatus; providerId?: string; error?: string; permanent?: boolean },
): Promise<void> {
  await messagesDb(db)
    .updateTable('recovery_messages')
    .set({
      status: update.status,
      ...(update.providerId !== undefined ? { provider_id: update.providerId } : {}),
      error: update.error ?? null,
      permanent_failure: update.permanent ?? false,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}

/** Gives a claimed slot back (e.g. the item was paid before sending): the step can be claimed again later. */
export async function releaseMessage(db: Db, id: string): Promise<void> {
  await messagesDb(db).deleteFrom('recovery_messages').where('id', '=', id).where('status', '=', 'claimed').execute();
}

/**
 * Applies a provider delivery report (Twilio status callback) to the message with that provider id.
 * Only messages that left us move (sent/possibly_sent/undelivered/delivered), and 'delivered' is final: a late
 * 'undelivered' never overwrites it. Returns the number of rows changed (0 for unknown ids).
 */
export async function updateDeliveryByProviderId(db: Db, providerId: string, status: 'delivered' | 'undelivered', error?: string): Promise<number> {
  const result = await messagesDb(db)
    .updateTable('recovery_messages')
    .set({ status, error: error ?? null, updated_at: new Date() })
    .where('provider_id', '=', providerId)
    .where('status', 'in', status === 'delivered' ? ['sent', 'possibly_sent', 'undelivered', 'delivered'] : ['sent', 'possibly_sent', 'undelivered'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listMessagesForCampaign(db: Db, tenantId: string, campaignId: string): Promise<RecoveryMessage[]> {
  const rows = await messagesDb(db)
    .selectFrom('recovery_messages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('campaign_id', '=', campaignId)
    .orderBy('step')
    .orderBy('channel')
    .execute();
  return rows.map(toMessage);
}

/** Tenants that have messaged this (normalised) recipient on this channel. */
export async function tenantsThatMessaged(db: Db, channel: Channel, recipient: string): Promise<string[]> {
  const rows = await messagesDb(db)
    .selectFrom('recovery_messages')
    .select('tenant_id')
    .distinct()
    .where('channel', '=', channel)
    .where('recipient', '=', recipient)
    .execute();
  return rows.map((row) => row.tenant_id);
}
