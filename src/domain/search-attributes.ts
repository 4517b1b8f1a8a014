/**
 * The custom search attributes every workflow sets so operators can find work in the Temporal UI. This is the one
 * list: src/temporal/search-attributes.ts derives the server registration from it.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const InvoiceIdKey = defineSearchAttributeKey('InvoiceId', SearchAttributeType.KEYWORD);
export const StatusKey = defineSearchAttributeKey('Status', SearchAttributeType.KEYWORD);
export const InvoiceStatusKey = defineSearchAttributeKey('InvoiceStatus', SearchAttributeType.KEYWORD);
export const CampaignStatusKey = defineSearchAttributeKey('CampaignStatus', SearchAttributeType.KEYWORD);
export const NextStepAtKey = defineSearchAttributeKey('NextStepAt', SearchAttributeType.DATETIME);
/** Set while a workflow waits for an operator (retries exhausted, events parked); cleared when it goes on. */
export const NeedsAttentionKey = defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL);
export const AttentionReasonKey = defineSearchAttributeKey('AttentionReason', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [
  TenantIdKey,
  CustomerIdKey,
  InvoiceIdKey,
  StatusKey,
  InvoiceStatusKey,
  CampaignStatusKey,
  NextStepAtKey,
  NeedsAttentionKey,
  AttentionReasonKey,
] as const;
