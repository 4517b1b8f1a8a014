import { describe, expect, it } from 'vitest';
import { NextStepAtKey, SEARCH_ATTRIBUTE_KEYS, TenantIdKey } from '../../../src/domain/search-attributes.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../../src/temporal/search-attributes.js';

describe('search attributes', () => {
  it('registers exactly the keys workflows set, with the CLI type names', () => {
    expect(SEARCH_ATTRIBUTE_DEFINITIONS).toEqual([
      { name: 'TenantId', type: 'Keyword' },
      { name: 'CustomerId', type: 'Keyword' },
      { name: 'InvoiceId', type: 'Keyword' },
      { name: 'Status', type: 'Keyword' },
      { name: 'InvoiceStatus', type: 'Keyword' },
      { name: 'CampaignStatus', type: 'Keyword' },
      { name: 'NextStepAt', type: 'Datetime' },
      { name: 'NeedsAttention', type: 'Bool' },
      { name: 'AttentionReason', type: 'Keyword' },
    ]);
  });

  it('derives the registration from the one key list', () => {
    expect(SEARCH_ATTRIBUTE_DEFINITIONS.map((definition) => definition.name)).toEqual(SEARCH_ATTRIBUTE_KEYS.map((key) => key.name));
    expect(TenantIdKey).toEqual({ name: 'TenantId', type: 'KEYWORD' });
    expect(NextStepAtKey).toEqual({ name: 'NextStepAt', type: 'DATETIME' });
  });
});
