/** Deterministic business keys: the same business object always maps to the same workflow. */
export const topUpWorkflowId = (tenantId: string, topUpId: string): string => `topup:${tenantId}:${topUpId}`;
