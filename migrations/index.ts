import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';

/** Every migration, in order. Listed statically so the same code runs under tsx, vitest and a bundler. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
};
