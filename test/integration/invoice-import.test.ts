import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvoiceImportHeartbeat, InvoiceImportPageResult } from '../../src/domain/invoice-import/contracts.js';
import { createInvoiceImportActivities } from '../../activities/invoice-import.js';
import { ensureTenant } from '../../src/db/tenants.js';
import { createStripeClient } from '../../src/stripe/client.js';
import { invoiceWorkflowId } from '../../src/temporal/workflow-ids.js';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { toInvoiceStatus } from '../../src/domain/invoice/rules.js';
import { invoiceStateQuery } from '../../workflows/invoice/messages.js';
import { api, FRONTEND_ORIGIN, createTestApp, waitFor, type TestApp } from '../helpers/app-context.js';
import { getStack } from '../helpers/stack.js';
import { stripeFixture } from '../helpers/stripe-events.js';

const T1_ACCOUNT = 'acct_1ImportTenantOne';
const T3_ACCOUNT = 'acct_1ImportTenantThree';
const PAGE_SIZE = 3;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const BASE = nowSeconds() - 3600;
/** Stripe's order: newest first. */
const STATUSES = ['draft', 'open', 'paid', 'void', 'uncollectible'] as const;

function invoiceObject(id: string, created: number, status: (typeof STATUSES)[number], tenantId: string | null): Record<string, any> {
  const transitions = {
    finalized_at: status === 'draft' ? null : created + 10,
    paid_at: status === 'paid' ? created + 20 : null,
    voided_at: status === 'void' ? created + 20 : null,
    marked_uncollectible_at: status === 'uncollectible' ? created + 20 : null,
  };
  return {
    ...stripeFixture('invoice'),
    id,
    created,
    status,
    status_transitions: transitions,
    customer: `cus_${id}`,
    customer_email: `${id}@example.com`,
    customer_name: `Customer ${id}`,
    amount_due: 1000 + created % 1000,
    amount_paid: status === 'paid' ? 1000 + created % 1000 : 0,
    currency: 'usd',
    due_date: nowSeconds() + 30 * 86_400,
    metadata: tenantId ? { tenant_id: tenantId } : {},
    parent: null,
    lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
  };
}

const dataset = (prefix: string, count: number, tenantFor: (index: number) => string | null) =>
  Array.from({ length: count }, (_, index) => invoiceObject(`in_${prefix}${String(index).padStart(3, '0')}`, BASE - index * 60, STATUSES[index % STATUSES.length]!, tenantFor(index)));

/** Invoices per Stripe account ('' = the platform account), newest first. */
const ACCOUNTS: Record<string, Array<Record<string, any>>> = {
  [T1_ACCOUNT]: dataset('imp1_', 15, () => 't1'),
  [T3_ACCOUNT]: dataset('imp3_', 3, () => 't3'),
  // The platform account holds every platform tenant's invoices: only those whose metadata names t2 are t2's.
  '': dataset('impP_', 4, (index) => [null, 't2', 'someone-else', 't2'][index]!),
};

interface ListRequest {
  account: string;
  startingAfter: string | null;
  limit: number;
}

/**
 * stripe-mock is stateless (its invoice list is one fixed page), so GET /v1/invoices is answered here with
 * deterministic pages honouring created[gte], limit and starting_after; everything else goes to stripe-mock.
 * holdOnce() parks the first request for a page until released, to kill the worker while it waits.
 */
async function startStripeProxy(target: { host: string; port: number }) {
  const lists: ListRequest[] = [];
  const holds: Array<{ startingAfter: string; reached: () => void; released: Promise<void> }> = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (req.method === 'GET' && url.pathname === '/v1/invoices') {
      const account = (req.headers['stripe-account'] as string | undefined) ?? '';
      const startingAfter = url.searchParams.get('starting_after');
      const limit = Number(url.searchParams.get('limit') ?? 10);
      const gte = Number(url.searchParams.get('created[gte]') ?? 0);
      lists.push({ account, startingAfter, limit });
      const all = (ACCOUNTS[account] ?? []).filter((invoice) => invoice.created >= gte);
      const start = startingAfter ? all.findIndex((invoice) => invoice.id === startingAfter) + 1 : 0;
      const data = all.slice(start, start + limit);
      const body = JSON.stringify({ object: 'list', url: '/v1/invoices', has_more: start + limit < all.length, data });
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_proxy' }).end(body);
      };
      const hold = holds.findIndex((entry) => entry.startingAfter === startingAfter);
      if (hold >= 0) {
        const [entry] = holds.splice(hold, 1);
        entry!.reached();
        void entry!.released.then(answer);
      } else answer();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const upstream = http.request(
        { host: target.host, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: `${target.host}:${target.port}` } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    lists,
    port: (server.address() as AddressInfo).port,
    holdOnce(startingAfter: string) {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ startingAfter, reached, released });
      return { reached: reachedPromise, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let app: TestApp;
let proxy: Awaited<ReturnType<typeof startStripeProxy>>;
let child: ChildProcess | undefined;

beforeAll(async () => {
  const env = getStack().env;
  proxy = await startStripeProxy({ host: env.STRIPE_API_HOST!, port: Number(env.STRIPE_API_PORT) });
  app = await createTestApp({ STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(proxy.port), STRIPE_API_PROTOCOL: 'http' });
  await app.db.updateTable('tenants').set({ stripe_account_id: T1_ACCOUNT }).where('id', '=', 't1').execute();
  await ensureTenant(app.db, { id: 't3', name: 'Tenant three' });
  await app.db.updateTable('tenants').set({ stripe_account_id: T3_ACCOUNT }).where('id', '=', 't3').execute();
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await app?.close();
  await proxy?.close();
});

/** The production worker entry point (src/worker/main.ts) in its own process, so it can be killed for real. */
function spawnWorker(): { process: ChildProcess; output: () => string } {
  const stack = getStack();
  let output = '';
  const worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...stack.env,
      DATABASE_URL: app.config.DATABASE_URL,
      TEMPORAL_TASK_QUEUE: app.config.TEMPORAL_TASK_QUEUE,
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(proxy.port),
      STRIPE_API_PROTOCOL: 'http',
      ALLOWED_FRONTEND_ORIGINS: FRONTEND_ORIGIN,
      ACTIVITY_RETRY_BACKOFF: '1s,2s,5s',
      LOG_LEVEL: 'warn',
      ...(stack.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { process: worker, output: () => output };
}

const within = <T>(promise: Promise<T>, ms: number, what: string, detail: () => string = () => '') =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}\n${detail()}`)), ms))]);

async function startImport(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await api(app, 'POST', '/v1/invoices/imports', { key, body, headers });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return response.body.id as string;
}

async function finished(id: string, key = app.keys.t1Admin, timeoutMs = 90_000) {
  return waitFor(
    async () => {
      const response = await api(app, 'GET', `/v1/invoices/imports/${id}`, { key });
      return response.status === 200 && response.body.status !== 'running' ? response.body : undefined;
    },
    `import ${id} to finish`,
    timeoutMs,
  );
}

const t1Rows = async () =>
  (
    await sql<{ id: string; stripe_invoice_id: string; status: string; updated_at: Date; stripe_last_event_id: string }>`
      select id, stripe_invoice_id, status, updated_at, stripe_last_event_id from invoices where tenant_id = 't1' order by id`.execute(app.db)
  ).rows;

describe('invoice import (real Temporal, PostgreSQL, a paging Stripe stand-in)', () => {
  it('pages through Stripe, survives a killed worker mid-run, and ends with every invoice exactly once', async () => {
    const ids = ACCOUNTS[T1_ACCOUNT]!.map((invoice) => invoice.id as string);
    // Page 3 starts after the 6th invoice: its listing waits until the first worker is dead.
    const hold = proxy.holdOnce(ids[5]!);
    const first = spawnWorker();
    child = first.process;
    const since = new Date((BASE - 24 * 3600) * 1000).toISOString();
    const id = await startImport(app.keys.t1Admin, { since, page_size: PAGE_SIZE });
    expect(id).toMatch(/^imp_[0-9a-f]{32}$/);
    await within(hold.reached, 90_000, 'the worker to ask for page 3', first.output);

    // Two pages done, reported by the query (answered by the child worker).
    const midway = await api(app, 'GET', `/v1/invoices/imports/${id}`, { key: app.keys.t1Admin });
    expect(midway.status).toBe(200);
    expect(midway.body).toMatchObject({ id, status: 'running', pages: 2, imported: 6, skipped: 0, failed: 0 });
    // Six invoices, created BASE .. BASE - 5 min, of the range [BASE - 24 h, BASE]: (5 * 60) / (24 * 3600), to 4 places.
    expect(midway.body.progress).toBe(0.0035);

    // Hard crash: no graceful shutdown, the page-3 activity dies with the process.
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    child = undefined;
    hold.release();
    await app.startWorker();

    const done = await finished(id);
    expect(done).toMatchObject({ id, status: 'completed', pages: 5, listed: 15, imported: 15, skipped: 0, ignored: 0, failed: 0, progress: 1, error: null });
    expect(done.imported + done.skipped + done.failed).toBe(15);
    // Resumed from the cursor: pages 1 and 2 were listed once; page 3 twice (the killed attempt and its retry).
    const t1Lists = proxy.lists.filter((list) => list.account === T1_ACCOUNT).map((list) => list.startingAfter);
    expect(t1Lists.filter((cursor) => cursor === null)).toHaveLength(1);
    expect(t1Lists.filter((cursor) => cursor === ids[2])).toHaveLength(1);
    expect(t1Lists.filter((cursor) => cursor === ids[5]).length).toBeGreaterThanOrEqual(2);
    expect(new Set(t1Lists)).toEqual(new Set([null, ids[2], ids[5], ids[8], ids[11]]));

    // Every invoice exactly once, through its invoice workflow (the webhook path), with Stripe's status.
    const rows = await waitFor(async () => {
      const current = await t1Rows();
      return current.length === 15 ? current : undefined;
    }, '15 invoice rows');
    expect(new Set(rows.map((row) => row.stripe_invoice_id)).size).toBe(15);
    const byId = new Map(ACCOUNTS[T1_ACCOUNT]!.map((invoice) => [invoice.id as string, invoice]));
    for (const row of rows) expect(row.status).toBe(toInvoiceStatus(byId.get(row.id)!.status));
    const [count] = (await sql<{ n: string }>`select count(*) as n from invoices where tenant_id = 't1'`.execute(app.db)).rows;
    expect(Number(count!.n)).toBe(15);
    const state = await app.temporal.workflow.getHandle(invoiceWorkflowId('t1', ids[7]!)).query(invoiceStateQuery);
    expect(state.eventLog).toEqual([{ eventId: `import:${ids[7]}:${byId.get(ids[7]!)!.status}`, type: 'import', outcome: 'inserted' }]);
    const description = await app.temporal.workflow.getHandle(`invoice-import:t1:${id}`).describe();
    expect(description.searchAttributes).toMatchObject({ TenantId: ['t1'], Status: ['completed'] });

    // Re-running changes nothing: every invoice is skipped and no row is touched.
    const again = await startImport(app.keys.t1Admin, { since, page_size: 5 });
    expect(again).not.toBe(id);
    expect(await finished(again)).toMatchObject({ status: 'completed', pages: 3, listed: 15, imported: 0, skipped: 15, failed: 0 });
    expect(await t1Rows()).toEqual(rows);

    // Another tenant cannot see it; unknown ids are 404 too.
    expect((await api(app, 'GET', `/v1/invoices/imports/${id}`, { key: app.keys.t2Admin })).status).toBe(404);
    expect((await api(app, 'GET', `/v1/invoices/imports/imp_${'0'.repeat(32)}`, { key: app.keys.t1Admin })).status).toBe(404);
    expect((await api(app, 'GET', '/v1/invoices/imports/nope', { key: app.keys.t1Admin })).status).toBe(400);
  });

  it('the same Idempotency-Key and since find the same import; another since with it is a 422; bad input is a 400', async () => {
    const since = new Date((BASE - 24 * 3600) * 1000).toISOString();
    const headers = { 'idempotency-key': 'backfill-1' };
    const first = await startImport(app.keys.t1Admin, { since }, headers);
    expect(await startImport(app.keys.t1Admin, { since }, headers)).toBe(first);
    // The same key with another since is another request: refused (issue 10), not a second import.
    const reused = await api(app, 'POST', '/v1/invoices/imports', { key: app.keys.t1Admin, body: { since: '2020-01-01' }, headers });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    expect(await finished(first)).toMatchObject({ status: 'completed', imported: 0, skipped: 15 });
    // A finished import is found again, not restarted.
    expect(await startImport(app.keys.t1Admin, { since }, headers)).toBe(first);

    const future = await api(app, 'POST', '/v1/invoices/imports', { key: app.keys.t1Admin, body: { since: '2999-01-01' } });
    expect(future.status).toBe(400);
    const garbage = await api(app, 'POST', '/v1/invoices/imports', { key: app.keys.t1Admin, body: { since: 'yesterday' } });
    expect(garbage.status).toBe(400);
    expect((await api(app, 'POST', '/v1/invoices/imports', { body: { since } })).status).toBe(401);
  });

  it('a platform-account tenant imports only the invoices whose metadata names it', async () => {
    const id = await startImport(app.keys.t2Admin, { since: new Date((BASE - 24 * 3600) * 1000).toISOString() });
    expect(await finished(id, app.keys.t2Admin)).toMatchObject({ status: 'completed', pages: 1, listed: 4, imported: 2, ignored: 2, skipped: 0, failed: 0 });
    const rows = await waitFor(async () => {
      const current = (await sql<{ id: string }>`select id from invoices where tenant_id = 't2' order by id`.execute(app.db)).rows;
      return current.length === 2 ? current : undefined;
    }, 't2 rows');
    expect(rows.map((row) => row.id)).toEqual(['in_impP_001', 'in_impP_003']);
  });

  it('a retried page resumes from its heartbeat and counts nothing twice', async () => {
    const activities = createInvoiceImportActivities({ db: app.db, stripe: createStripeClient(app.config), temporal: app.temporal });
    const ids = ACCOUNTS[T3_ACCOUNT]!.map((invoice) => invoice.id as string);
    // The previous attempt handed over the first two invoices (one imported, one failed) before dying.
    const heartbeatDetails: InvoiceImportHeartbeat = {
      startingAfter: null,
      done: { [ids[0]!]: 'imported', [ids[1]!]: 'failed' },
      failures: [{ invoiceId: ids[1]!, error: 'earlier failure' }],
    };
    const env = new MockActivityEnvironment({ heartbeatDetails, taskQueue: app.config.TEMPORAL_TASK_QUEUE });
    const beats: InvoiceImportHeartbeat[] = [];
    env.on('heartbeat', (details: InvoiceImportHeartbeat) => beats.push(structuredClone(details)));
    const result: InvoiceImportPageResult = await env.run(activities.importInvoicePage, {
      tenantId: 't3',
      importId: 'imp_unit',
      since: 0,
      startingAfter: null,
      limit: 10,
      retry: { intervalsMs: [1000] },
    });
    expect(result).toMatchObject({ listed: 3, imported: 2, failed: 1, skipped: 0, hasMore: false, nextCursor: ids[2] });
    expect(result.failures).toEqual([{ invoiceId: ids[1], error: 'earlier failure' }]);
    expect(beats.at(-1)!.done).toEqual({ [ids[0]!]: 'imported', [ids[1]!]: 'failed', [ids[2]!]: 'imported' });
    // Only the third invoice was handed over by this attempt.
    await expect(app.temporal.workflow.getHandle(invoiceWorkflowId('t3', ids[0]!)).describe()).rejects.toThrow();
    await app.temporal.workflow.getHandle(invoiceWorkflowId('t3', ids[2]!)).describe();
  });

  it('the npm script starts an import over HTTP, shows progress and prints the final counts', async () => {
    const since = new Date((BASE - 24 * 3600) * 1000).toISOString();
    const script = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/import-invoices.ts', '--api-url', app.baseUrl, '--api-key', app.keys.t1Admin, '--since', since, '--interval', '200'],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    script.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    script.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await within(new Promise((resolve) => script.once('exit', resolve)), 90_000, 'the import script', () => stderr);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/Started invoice import imp_[0-9a-f]{32}/);
    expect(stderr).toMatch(/\[#+\] 100% {2}completed · pages 1 · imported 0 · skipped 15/);
    expect(stdout).toMatch(/^imp_[0-9a-f]{32} completed: pages=1 listed=15 imported=0 skipped=15 ignored=0 failed=0\n$/);
  });
});
