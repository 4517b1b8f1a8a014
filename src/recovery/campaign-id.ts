import type { RecoveryItem, RecoveryItemKind } from '../domain/recovery/contracts.js';

const PREFIX: Record<RecoveryItemKind, string> = {
  invoice: 'invoice',
  subscription_invoice: 'subscription_invoice',
  order: 'order',
  transaction: 'txn',
};

/** Business key of the campaign for one unpaid item: `invoice:<id>`, `subscription_invoice:<id>`, `order:<id>`, `txn:<ref>`. */
export function campaignIdFor(item: RecoveryItem): string {
  return `${PREFIX[item.kind]}:${item.ref}`;
}

export const CAMPAIGN_ID_PATTERN = /^(invoice|subscription_invoice|order|txn):[A-Za-z0-9._:-]{1,200}$/;
