import type { Channel } from '../../domain/messaging/contracts.js';
import type { CreatedAt } from './columns.js';

export type SuppressionReason = 'unsubscribe' | 'stop_reply' | 'hard_bounce';

export type MessageSuppressionsTable = {
  tenant_id: string;
  channel: Channel;
  address: string;
  reason: SuppressionReason;
  created_at: CreatedAt;
};

export type SuppressionTables = {
  message_suppressions: MessageSuppressionsTable;
};
