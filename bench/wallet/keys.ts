/**
 * Source keys for the spends, unique per (run, client, n) and the same in both load generators: a decimal integer
 * as text, because pgbench's \set computes only numbers and a variable is then sent as a text parameter, exactly
 * as node-postgres sends the app's key. Each app or pgbench run gets its own run number.
 */
export const MAX_CLIENTS = 999;
const PER_CLIENT = 1_000_000_000;

export function sourceKey(run: number, client: number, n: number): string {
  return String((run * (MAX_CLIENTS + 1) + client) * PER_CLIENT + n);
}

/** The same key in pgbench's expression language; needs -D run=<run> -D n=0, and :client_id is 0-based. */
export const PGBENCH_KEY_COMMANDS = [
  '\\set n :n + 1',
  `\\set key (:run * ${MAX_CLIENTS + 1} + :client_id) * ${PER_CLIENT} + :n`,
];
