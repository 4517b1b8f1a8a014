import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';

const same = (a: unknown, b: unknown): boolean => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b);

/**
 * Upserts only the attributes whose value differs from what the execution already carries (set at start or by an
 * earlier upsert): every upsert command is a billed Temporal Cloud action, and one that changes nothing is waste.
 */
export function upsertChangedSearchAttributes(pairs: SearchAttributeUpdatePair[]): void {
  const current = workflowInfo().typedSearchAttributes;
  const changed = pairs.filter((pair) => {
    const value = current.get(pair.key);
    return pair.value == null ? value !== undefined : !same(value, pair.value);
  });
  if (changed.length > 0) upsertSearchAttributes(changed);
}

/** The workflow's upsert: only changed attributes on runs that took `lean` (a patch), every attribute before it. */
export function searchAttributeWriter(lean: boolean): (pairs: SearchAttributeUpdatePair[]) => void {
  return lean ? upsertChangedSearchAttributes : upsertSearchAttributes;
}
