/**
 * A bench group beyond ingest: `bench/groups/<name>.ts` exports `run` (this type). The group starts what it needs
 * (bench/stack.ts gives an embedded PostgreSQL and a Temporal dev server), measures, stops everything it started,
 * and returns its rows plus a printed table. A group that cannot run returns rows with null values and says why
 * in its table; it never throws for a missed target.
 */
import type { Row } from './report.js';

export interface GroupContext {
  log: (msg: string) => void;
  /** When this bench run started: names task queues and files uniquely per run. */
  started: Date;
}

export interface GroupResult {
  rows: Row[];
  table: string;
}

export type GroupRunner = (ctx: GroupContext) => Promise<GroupResult>;

/** Reads a numeric knob from the environment (e.g. a smaller seed for a quick look); throws on a bad value. */
export function numberFromEnv(name: string, fallback: number, min: number, integer = true): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${raw}"`);
  }
  return value;
}
