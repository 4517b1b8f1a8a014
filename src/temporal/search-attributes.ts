/**
 * The registration list of the custom search attributes (src/domain/search-attributes.ts), with the type names
 * the Temporal CLI and operator API use. The dev server (npm start, tests) registers them at start; for a
 * self-hosted or Cloud namespace run `temporal operator search-attribute create --name <name> --type <type>` once
 * per entry.
 */
import type { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_KEYS } from '../domain/search-attributes.js';

const CLI_TYPE_NAMES = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
} as const satisfies Record<SearchAttributeType, string>;

type UsedType = (typeof SEARCH_ATTRIBUTE_KEYS)[number]['type'];

export interface SearchAttributeDefinition {
  name: string;
  type: (typeof CLI_TYPE_NAMES)[UsedType];
}

export const SEARCH_ATTRIBUTE_DEFINITIONS: readonly SearchAttributeDefinition[] = SEARCH_ATTRIBUTE_KEYS.map((key) => ({
  name: key.name,
  type: CLI_TYPE_NAMES[key.type],
}));
