/**
 * Reads at scale (issue 16 part 4): a year of data for 100 tenants (1,000,000 ledger entries, 100,000 invoices,
 * 10,000 recovery campaigns, × BENCH_READS_SCALE) in one database and 100× less in another, seeded alike
 * (bench/reads/seed.ts). Each read route is timed through the real gateway on both, interleaved, for the largest
 * tenant; the row is p99 big ÷ p99 small, target <= 1.5 (index-backed reads cost the same at any size). The
 * table also prints the query plans behind each route on the big database.
 *
 * Env: BENCH_READS_SCALE (1: the full seed; 0.1 for a quick look), BENCH_READS_REQUESTS (500 per route and
 * database), BENCH_READS_WARMUP (20). DATABASE_URL: use that server (it must allow CREATE DATABASE).
 */
import { sql } from 'kysely';
import { createDb, type Db } from '../../src/db/connection.js';
import { numberFromEnv, type GroupRunner } from '../group.js';
import { verdictLine, type Row } from '../report.js';
import { startDatabases } from '../reads/databases.js';
import { startGateway, type BenchGateway } from '../reads/gateway.js';
import { measureInterleaved, type Latencies } from '../reads/measure.js';
import { executionMs, explainRoute, scans } from '../reads/plans.js';
import { MEASURED_TENANT, MEASURED_WALLET, READ_ROUTES, routeContext, type RouteContext } from '../reads/routes.js';
import { LEDGER_STREAMS, seedDatabase, type SeedResult } from '../reads/seed.js';
import { seedSize } from '../reads/shape.js';

const TARGET = 1.5;
const SIZES = { big: 1, small: 100 } as const;
type Size = keyof typeof SIZES;

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

export const run: GroupRunner = async ({ log }) => {
  const scale = numberFromEnv('BENCH_READS_SCALE', 1, 0.0001, false);
  const requests = numberFromEnv('BENCH_READS_REQUESTS', 500, 1);
  const warmup = numberFromEnv('BENCH_READS_WARMUP', 20, 0);
  const end = Date.now();
  const names = Object.keys(SIZES) as Size[];
  const databases = await startDatabases(names, log);
  const gateways = new Map<Size, BenchGateway>();
  const out: string[] = [];
  const rows: Row[] = [];
  try {
    const contexts = new Map<Size, RouteContext>();
    for (const size of names) {
      const target = seedSize(scale, SIZES[size]);
      log(`seeding ${size}: ${target.ledgerEntries} ledger entries, ${target.invoices} invoices, ${target.campaigns} campaigns`);
      const db = createDb(databases.urls[size]!, { max: LEDGER_STREAMS, statementTimeoutMs: 0 });
      try {
        const seeded = await seedDatabase(db, target, end, log);
        contexts.set(size, await routeContext(db, seeded.clients, end));
        out.push(await describeSeed(db, size, seeded, contexts.get(size)!));
        log(out[out.length - 1]!);
      } finally {
        await db.destroy();
      }
      gateways.set(size, await startGateway(databases.urls[size]!, MEASURED_TENANT));
    }

    out.push(
      '',
      `${requests} requests per route and database, one at a time, interleaved, after ${warmup} warm-up requests each ` +
        '(times in ms; big DB ms: the execution time of the statements behind the route on the big database, from EXPLAIN ANALYZE):',
    );
    const header = ['route', 'big p50', 'big p99', 'small p50', 'small p99', 'p99 ratio', 'big DB ms'];
    const lines: string[][] = [];
    const verdicts: string[] = [];
    const plans: string[] = [];
    for (const route of READ_ROUTES) {
      log(`measuring ${route.name}`);
      const targets = names.map((size) => {
        const gateway = gateways.get(size)!;
        return { name: size, url: `${gateway.baseUrl}${route.path(contexts.get(size)!)}`, apiKey: gateway.apiKey };
      });
      const measured = await measureInterleaved(targets, warmup, requests);
      const big = measured.get('big')!;
      const small = measured.get('small')!;
      const row: Row = {
        name: `reads: ${route.name} p99 big/small`,
        value: round(big.p99Ms),
        unit: 'ms',
        baseline: round(small.p99Ms),
        ratio: round(big.p99Ms / small.p99Ms),
        target: TARGET,
        targetIs: 'max',
      };
      rows.push(row, p50Row(route.name, big, small));
      const statements = await explainRoute(databases.urls.big!, route, contexts.get('big')!);
      lines.push([route.name, ms(big.p50Ms), ms(big.p99Ms), ms(small.p50Ms), ms(small.p99Ms), row.ratio!.toFixed(2), ms(executionMs(statements))]);
      verdicts.push(verdictLine(row));
      plans.push('', `${route.name} (big database, ${statements.length} statement${statements.length === 1 ? '' : 's'}):`);
      statements.forEach((plan, i) => {
        plans.push(`  [${i + 1}]${scans(plan) ? ' SEQ SCAN' : ''}`, ...plan.map((line) => `    ${line}`));
      });
    }
    out.push(formatColumns(header, lines), '', ...verdicts, '', 'Query plans (EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)):', ...plans);
    return { rows, table: out.join('\n') };
  } finally {
    await Promise.allSettled([...gateways.values()].map((gateway) => gateway.stop()));
    await databases.stop();
  }
};

const ms = (value: number) => value.toFixed(2);

function p50Row(name: string, big: Latencies, small: Latencies): Row {
  return { name: `reads: ${name} p50 big/small`, value: round(big.p50Ms), unit: 'ms', baseline: round(small.p50Ms), ratio: round(big.p50Ms / small.p50Ms), target: null };
}

async function describeSeed(db: Db, size: Size, seeded: SeedResult, ctx: RouteContext): Promise<string> {
  const { rows } = await sql<{ ledger: string; invoices: string; campaigns: string }>`
    select (select count(*) from credit_ledger where tenant_id = ${MEASURED_TENANT})::text as ledger,
      (select count(*) from invoices where tenant_id = ${MEASURED_TENANT})::text as invoices,
      (select count(*) from recovery_campaigns where tenant_id = ${MEASURED_TENANT})::text as campaigns`.execute(db);
  const tenant = rows[0]!;
  const seconds = Object.entries(seeded.seconds).map(([step, s]) => `${step} ${s.toFixed(1)}s`).join(', ');
  return (
    `${size}: ${seeded.counts.ledger} ledger entries, ${seeded.counts.invoices} invoices, ${seeded.counts.campaigns} campaigns ` +
    `(seeded in ${seconds}); measured tenant ${MEASURED_TENANT}: ${tenant.ledger} ledger entries (wallet ${MEASURED_WALLET}: ` +
    `${ctx.walletEntries}, deep cursor ${ctx.deepOffset} entries back), ${tenant.invoices} invoices, ${tenant.campaigns} campaigns`
  );
}

function formatColumns(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
