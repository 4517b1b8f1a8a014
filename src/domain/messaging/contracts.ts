/**
 * Contract between the messaging layer (src/messaging/*, src/db/messages.ts) and the recovery campaign
 * (the Recovery workflow and its activities). Plain data only.
 */
export type Channel = 'email' | 'sms';

export interface RecoveryMessageData {
  tenantName: string;
  customerName?: string;
  /** Minor units of `currency`; rendered through the currency exponent. */
  amount: number;
  currency: string;
  /** ISO date (YYYY-MM-DD) or datetime, if the item has one. */
  dueDate?: string;
  paymentUrl: string;
  /** Email only: one-click link that suppresses email for this customer. */
  unsubscribeUrl?: string;
  /** Step number in the campaign, 1-based, for wording ("reminder 2"). */
  step: number;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** What a send attempt ended as. `possibly_sent` = a previous attempt crashed between sending and recording. */
export type SendOutcome =
  | { status: 'sent'; providerId: string }
  | { status: 'skipped'; reason: 'already_sent' | 'possibly_sent' | 'suppressed' | 'item_paid' | 'channel_unavailable' | 'no_payment_page' }
  | { status: 'failed'; permanent: boolean; error: string };

/** Unique per campaign step and channel: the idempotency key of a send. */
export interface MessageKey {
  tenantId: string;
  campaignId: string;
  step: number;
  channel: Channel;
}
