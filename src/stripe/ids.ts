/** The id of an expandable Stripe field: Stripe sends either the id or the expanded object. */
export function expandableId(value: string | { id: string } | null | undefined): string | null {
  return value == null ? null : typeof value === 'string' ? value : value.id;
}
