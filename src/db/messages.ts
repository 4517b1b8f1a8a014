import { sql, type Selectable } from 'kysely';
import type { Channel, MessageKey } from '../domain/messaging/contracts.js';
import type { DbExecutor, MessageStatus, RecoveryMessagesTable } from './schema.js';

export type { MessageStatus } from './schema.js';

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

/**
 * A held send slot. `attempts` is the fencing token of the claim: every re-claim bumps it, and the hand-off
 * (beginHandoff) and the release only succeed for the latest claim, so a superseded attempt can never send.
 */
export interface MessageClaim {
  id: string;
  attempts: number;
}

export type ClaimResult = ({ claimed: true } & MessageClaim) | { claimed: false; existing: RecoveryMessage };

/**
 * Takes the send slot of one campaign step and channel: INSERT ... ON CONFLICT DO NOTHING on the unique
 * (tenant, campaign, step, channel). Exactly one caller ever gets `claimed: true` for a key; everybody else
 * gets the row as it is now. The new row is 'claimed': nothing has been handed to a provider yet.
 */
export async function claimMessage(db: DbExecutor, key: MessageKey, recipient: string): Promise<ClaimResult> {
  const inserted = await db
    .insertInto('recovery_messages')
    .values({ tenant_id: key.tenantId, campaign_id: key.campaignId, step: key.step, channel: key.channel, recipient, status: 'claimed' })
    .onConflict((oc) => oc.columns(['tenant_id', 'campaign_id', 'step', 'channel']).doNothing())
    .returning(['id', 'attempts'])
    .executeTakeFirst();
  if (inserted) return { claimed: true, id: inserted.id, attempts: inserted.attempts };
  const existing = await findMessage(db, key);
  // Only reachable if the row was deleted (released) between the insert and the read: claim again.
  if (!existing) return claimMessage(db, key, recipient);
  return { claimed: false, existing };
}

/**
 * Re-takes, for another attempt, a row that failed transiently (status 'failed', not permanent) or that a previous
 * attempt claimed and abandoned before the hand-off (status 'claimed'): a conditional UPDATE on the status and
 * attempts the caller saw, so of two concurrent retries only one wins, and the previous claim is superseded (its
 * token no longer matches). Returns the new claim, or undefined when someone else got it first.
 */
export async function reclaimMessage(
  db: DbExecutor,
  existing: { id: string; status: 'failed' | 'claimed'; attempts: number },
  recipient: string,
): Promise<MessageClaim | undefined> {
  const row = await db
    .updateTable('recovery_messages')
    .set({ status: 'claimed', recipient, error: null, attempts: sql<number>`attempts + 1`, updated_at: new Date() })
    .where('id', '=', existing.id)
    .where('status', '=', existing.status)
    .where('attempts', '=', existing.attempts)
    .where('permanent_failure', '=', false)
    .returning(['id', 'attempts'])
    .executeTakeFirst();
  return row ? { id: row.id, attempts: row.attempts } : undefined;
}

/**
 * Records that the hand-off to the provider starts now ('claimed' → 'sending'), for the latest claim only.
 * Call it (committed, outside any transaction) right before the SMTP/Twilio call: from here on a retry can no
 * longer know whether the provider got the message. Returns false when the claim was superseded or released:
 * the caller must not send.
 */
export async function beginHandoff(db: DbExecutor, claim: MessageClaim): Promise<boolean> {
  const result = await db
    .updateTable('recovery_messages')
    .set({ status: 'sending', updated_at: new Date() })
    .where('id', '=', claim.id)
    .where('status', '=', 'claimed')
    .where('attempts', '=', claim.attempts)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function findMessage(db: DbExecutor, key: MessageKey): Promise<RecoveryMessage | undefined> {
  const row = await db
    .selectFrom('recovery_messages')
    .selectAll()
    .where('tenant_id', '=', key.tenantId)
    .where('campaign_id', '=', key.campaignId)
    .where('step', '=', key.step)
    .where('channel', '=', key.channel)
    .executeTakeFirst();
  return row ? toMessage(row) : undefined;
}

/** Sets a row's outcome; with `onlyIf`, only while the row still has one of those statuses. */
export async function markMessage(
  db: DbExecutor,
  id: string,
  update: { status: MessageStatus; providerId?: string; error?: string; permanent?: boolean },
  onlyIf?: MessageStatus[],
): Promise<void> {
  await db
    .updateTable('recovery_messages')
    .set({
      status: update.status,
      ...(update.providerId !== undefined ? { provider_id: update.providerId } : {}),
      error: update.error ?? null,
      permanent_failure: update.permanent ?? false,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .$if(onlyIf !== undefined, (qb) => qb.where('status', 'in', onlyIf!))
    .execute();
}

/**
 * Gives a claimed slot back (e.g. the item was paid before sending): the step can be claimed again later. Only the
 * latest claim, before any hand-off: a superseded attempt does not delete its successor's claim.
 */
export async function releaseMessage(db: DbExecutor, claim: MessageClaim): Promise<void> {
  await db
    .deleteFrom('recovery_messages')
    .where('id', '=', claim.id)
    .where('status', '=', 'claimed')
    .where('attempts', '=', claim.attempts)
    .execute();
}

/**
 * Applies a provider delivery report (Twilio status callback) to the message with that provider id.
 * Only messages that left us move (sent/possibly_sent/undelivered/delivered), and 'delivered' is final: a late
 * 'undelivered' never overwrites it. 'claimed' and 'sending' rows have no provider id yet (it is recorded with
 * 'sent'), so they never match. Returns the number of rows changed (0 for unknown ids).
 */
export async function updateDeliveryByProviderId(db: DbExecutor, providerId: string, status: 'delivered' | 'undelivered', error?: string): Promise<number> {
  const result = await db
    .updateTable('recovery_messages')
    .set({ status, error: error ?? null, updated_at: new Date() })
    .where('provider_id', '=', providerId)
    .where('status', 'in', status === 'delivered' ? ['sent', 'possibly_sent', 'undelivered', 'delivered'] : ['sent', 'possibly_sent', 'undelivered'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listMessagesForCampaign(db: DbExecutor, tenantId: string, campaignId: string): Promise<RecoveryMessage[]> {
  const rows = await db
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
export async function tenantsThatMessaged(db: DbExecutor, channel: Channel, recipient: string): Promise<string[]> {
  const rows = await db
    .selectFrom('recovery_messages')
    .select('tenant_id')
    .distinct()
    .where('channel', '=', channel)
    .where('recipient', '=', recipient)
    .execute();
  return rows.map((row) => row.tenant_id);
}
