import type { ColumnType, Generated } from 'kysely';
import type { Channel } from '../../domain/messaging/contracts.js';

/**
 * claimed: an attempt holds the slot, nothing handed to the provider yet (a retry may re-claim it and send);
 * sending: the hand-off to SMTP/Twilio has started (migration 0011; a retry finding it records possibly_sent);
 * then sent | failed | possibly_sent, and sent → delivered | undelivered from the provider's status callbacks.
 */
export type MessageStatus = 'claimed' | 'sending' | 'sent' | 'failed' | 'possibly_sent' | 'delivered' | 'undelivered';

/** Migration 0007. */
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
