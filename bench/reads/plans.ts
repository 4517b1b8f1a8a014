/**
 * EXPLAIN (ANALYZE, BUFFERS) of the statements a read route runs: the route's repository calls run once on a
 * Kysely that records every statement with its parameters, then each is explained with the same parameters.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Db } from '../../src/db/connection.js';
import type { Database } from '../../src/db/schema.js';
import type { ReadRoute, RouteContext } from './routes.js';

interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

/** Plan lines of every statement behind `route`, costs left out (the actual rows, time and buffers are what matter). */
export async function explainRoute(databaseUrl: string, route: ReadRoute, ctx: RouteContext): Promise<string[][]> {
  const statements: Statement[] = [];
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const db: Db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') statements.push({ sql: event.query.sql, parameters: event.query.parameters });
    },
  });
  try {
    await route.read(db, ctx);
    const plans: string[][] = [];
    for (const statement of statements) {
      const result = await pool.query<{ 'QUERY PLAN': string }>(
        `explain (analyze, buffers, costs off) ${statement.sql}`,
        statement.parameters as unknown[],
      );
      plans.push(result.rows.map((row) => row['QUERY PLAN']));
    }
    return plans;
  } finally {
    await db.destroy();
  }
}

const indent = (line: string) => line.length - line.trimStart().length;

/**
 * True when a plan reads a whole table that has rows (a Seq Scan node that touched buffers or filtered rows out);
 * a seq scan of an empty table (nothing seeded there) is the right plan and is not flagged.
 */
export function scans(plan: string[]): boolean {
  return plan.some((line, i) => {
    if (!line.includes('Seq Scan')) return false;
    const depth = indent(line);
    for (let j = i + 1; j < plan.length && indent(plan[j]!) > depth; j++) {
      if (/Buffers: shared|Rows Removed by Filter/.test(plan[j]!)) return true;
    }
    return false;
  });
}

/** The statements' execution time summed, as EXPLAIN ANALYZE reported it (planning left out). */
export function executionMs(plans: string[][]): number {
  let total = 0;
  for (const plan of plans) {
    for (const line of plan) {
      const match = /Execution Time: ([\d.]+) ms/.exec(line);
      if (match) total += Number(match[1]);
    }
  }
  return total;
}
