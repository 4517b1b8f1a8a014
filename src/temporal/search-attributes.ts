/**
 * Custom search attributes every workflow sets so operators can find work in the Temporal UI.
 * The dev server (npm start, tests) registers them at start; for a self-hosted or Cloud namespace run
 * `temporal operator search-attribute create --name <name> --type <type>` once per entry.
 */
export const SEARCH_ATTRIBUTE_DEFINITIONS = [
  { name: 'TenantId', type: 'Keyword' },
  { name: 'CustomerId', type: 'Keyword' },
  { name: 'InvoiceId', type: 'Keyword' },
  { name: 'Status', type: 'Keyword' },
  { name: 'InvoiceStatus', type: 'Keyword' },
  { name: 'CampaignStatus', type: 'Keyword' },
  { name: 'NextStepAt', type: 'Datetime' },
] as const;
