import type { SearchAttributePair } from '@temporalio/common';
import type { RecoveryCustomer } from '../domain/recovery/contracts.js';
import { CampaignStatusKey, CustomerIdKey, TenantIdKey } from '../domain/search-attributes.js';

/**
 * A campaign's search attributes from its start, so it is listed for its tenant (the attention list, metrics) before
 * its first step, and the workflow upserts only what changes later. The same values Campaign.setSearchAttributes
 * writes: a customer id only, never an email a caller may have used as its id.
 */
export function recoveryStartSearchAttributes(tenantId: string, customer: RecoveryCustomer): SearchAttributePair[] {
  return [
    { key: TenantIdKey, value: tenantId },
    { key: CampaignStatusKey, value: 'active' },
    ...(customer.id && !customer.id.includes('@') ? [{ key: CustomerIdKey, value: customer.id }] : []),
  ];
}
