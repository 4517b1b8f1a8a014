/**
 * `npm run invoices:import -- --since <date> (--api-url <url> --api-key <key> | --tenant <id>) [options]`
 *
 * Starts an invoice import (backfill/reconcile from Stripe) and follows it with a live progress bar on stderr (TTY:
 * one redrawn line; otherwise one line per change), then prints the final counts on stdout. Exit code 0 when the
 * import completed, 1 when it failed, 2 for bad arguments.
 *
 * Two ways in:
 *   - through the HTTP API (--api-url + --api-key): the key decides the tenant;
 *   - directly through Temporal (--tenant): TEMPORAL_* and ACTIVITY_RETRY_BACKOFF from the environment or .env.
 *     For operators; the tenant id is taken as given.
 * Ctrl-C stops following; the import itself keeps running (it is a workflow): follow it again with --follow <id>.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema } from '../src/config.js';
import { invoiceImportJson, readInvoiceImport, startInvoiceImport, type InvoiceImportJson } from '../src/invoices/imports.js';
import { createTemporalClient } from '../src/temporal/connection.js';
import { retryScheduleFromConfig } from '../src/temporal/retry.js';
import { PROJECT_ROOT } from '../src/tools/resolve.js';
import { parseCommandLine } from './command-line.js';

const USAGE = `Usage: npm run invoices:import -- --since <date> (--api-url <url> --api-key <key> | --tenant <id>) [options]

  --since <date>            import Stripe invoices created at or after this ISO date or date-time
  --api-url <url>           gateway base URL, e.g. http://localhost:3000
  --api-key <key>           tenant API key, pk_...; the key decides the tenant
  --tenant <id>             without --api-url: start the import directly through Temporal for this tenant
                            (TEMPORAL_* and ACTIVITY_RETRY_BACKOFF from the environment or .env)
  --idempotency-key <key>   the same key and since find the same import instead of starting another
  --page-size <n>           invoices per Stripe page, 1-100 (default 100)
  --follow <id>             do not start anything: follow the import imp_... to its end
  --interval <ms>           how often to poll the progress (default 1000)
  -h, --help                show this help
`;

const argsSchema = z
  .object({
    since: z
      .string()
      .refine((value) => /^\d{4}-\d{2}-\d{2}(T.+)?$/.test(value) && !Number.isNaN(Date.parse(value)), '--since must be an ISO 8601 date or date-time')
      .optional(),
    'api-url': z.url('--api-url must be a URL').optional(),
    'api-key': z.string().min(1).optional(),
    tenant: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, '--tenant is not a tenant id').optional(),
    'idempotency-key': z.string().min(1).max(255).optional(),
    'page-size': z.coerce.number().int().min(1).max(100, '--page-size must be 1-100').optional(),
    follow: z.string().regex(/^imp_[0-9a-f]{32}$/, '--follow must be an import id (imp_...)').optional(),
    interval: z.coerce.number().int().min(100).max(60_000).default(1000),
  })
  .refine((args) => args.follow !== undefined || args.since !== undefined, { message: '--since is required' })
  .refine((args) => args['api-url'] !== undefined || args.tenant !== undefined, { message: 'give --api-url and --api-key, or --tenant' })
  .refine((args) => args['api-url'] === undefined || args['api-key'] !== undefined, { message: '--api-key is required with --api-url' });
type Args = z.infer<typeof argsSchema>;

const OPTIONS = {
  since: { type: 'string' },
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  tenant: { type: 'string' },
  'idempotency-key': { type: 'string' },
  'page-size': { type: 'string' },
  follow: { type: 'string' },
  interval: { type: 'string' },
} as const;

/** Where the import is started and read: the HTTP API, or Temporal directly. */
interface Backend {
  start(): Promise<string>;
  /** undefined while the progress cannot be read (e.g. no worker yet); throws for a missing import. */
  read(id: string): Promise<InvoiceImportJson | undefined>;
  close(): Promise<void>;
}

class Fatal extends Error {}

function httpBackend(args: Args): Backend {
  const base = args['api-url']!.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${args['api-key']!}`, 'content-type': 'application/json' };
  const problem = async (response: Response) => {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as { code?: string; detail?: string };
      return `${response.status} ${body.code ?? ''}: ${body.detail ?? text}`;
    } catch {
      return `${response.status}: ${text}`;
    }
  };
  return {
    async start() {
      const response = await fetch(`${base}/v1/invoices/imports`, {
        method: 'POST',
        headers: { ...headers, ...(args['idempotency-key'] ? { 'idempotency-key': args['idempotency-key'] } : {}) },
        body: JSON.stringify({ since: args.since, ...(args['page-size'] !== undefined ? { page_size: args['page-size'] } : {}) }),
      });
      if (response.status !== 202) throw new Fatal(`could not start the import: ${await problem(response)}`);
      return ((await response.json()) as { id: string }).id;
    },
    async read(id) {
      const response = await fetch(`${base}/v1/invoices/imports/${id}`, { headers }).catch(() => undefined);
      if (!response) return undefined; // gateway briefly unreachable: poll again
      if (response.status === 200) return (await response.json()) as InvoiceImportJson;
      if (response.status === 503) return undefined;
      throw new Fatal(`could not read the import: ${await problem(response)}`);
    },
    async close() {},
  };
}

function temporalBackend(args: Args): Backend {
  const envFile = path.join(PROJECT_ROOT, '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile); // does not override variables already in the environment
  const parsed = configSchema
    .pick({
      TEMPORAL_ADDRESS: true,
      TEMPORAL_NAMESPACE: true,
      TEMPORAL_TASK_QUEUE: true,
      TEMPORAL_TLS: true,
      TEMPORAL_TLS_CERT_PATH: true,
      TEMPORAL_TLS_KEY_PATH: true,
      TEMPORAL_API_KEY: true,
      TEMPORAL_RPC_TIMEOUT_MS: true,
      ACTIVITY_RETRY_BACKOFF: true,
      TEMPORAL_PAYLOAD_KEYS: true,
    })
    .safeParse(process.env);
  if (!parsed.success) throw new Fatal(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; '));
  const config = parsed.data;
  if (process.env.NODE_ENV === 'production' && config.TEMPORAL_PAYLOAD_KEYS.length === 0) {
    throw new Fatal('TEMPORAL_PAYLOAD_KEYS is required in production (the workers encrypt workflow payloads with it)');
  }
  const temporal = createTemporalClient(config);
  const tenantId = args.tenant!;
  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;
  return {
    async start() {
      const { importId } = await temporal.withDeadline(deadline(), () =>
        startInvoiceImport(temporal, {
          tenantId,
          since: Math.floor(Date.parse(args.since!) / 1000),
          idempotencyKey: args['idempotency-key'],
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          retry: retryScheduleFromConfig(config),
          ...(args['page-size'] !== undefined ? { pageSize: args['page-size'] } : {}),
        }),
      );
      return importId;
    },
    async read(id) {
      try {
        const progress = await temporal.withDeadline(deadline(), () => readInvoiceImport(temporal, tenantId, id));
        if (!progress) throw new Fatal(`tenant ${tenantId} has no import ${id}`);
        return invoiceImportJson(progress);
      } catch (error) {
        if (error instanceof Fatal) throw error;
        return undefined; // no worker answering the query yet, or Temporal briefly unreachable: poll again
      }
    },
    async close() {
      await temporal.connection.close().catch(() => undefined);
    },
  };
}

const BAR_WIDTH = 28;

function progressLine(progress: InvoiceImportJson | undefined, tty: boolean): string {
  if (!progress) return 'waiting for a worker to report progress...';
  const filled = Math.round(progress.progress * BAR_WIDTH);
  const bar = tty ? `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}` : `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
  const percent = `${Math.floor(progress.progress * 100)}%`.padStart(4);
  const reached = progress.oldest_created_at ? ` · back to ${progress.oldest_created_at.slice(0, 10)}` : '';
  return (
    `[${bar}] ${percent}  ${progress.status} · pages ${progress.pages} · imported ${progress.imported} · skipped ${progress.skipped}` +
    ` · ignored ${progress.ignored} · failed ${progress.failed}${reached}`
  );
}

async function follow(backend: Backend, id: string, intervalMs: number): Promise<InvoiceImportJson> {
  const tty = process.stderr.isTTY === true;
  let last = '';
  for (;;) {
    const progress = await backend.read(id);
    const line = progressLine(progress, tty);
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
    if (progress && progress.status !== 'running') {
      if (tty) process.stderr.write('\n');
      return progress;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2), OPTIONS, argsSchema, USAGE);
  const backend = args['api-url'] ? httpBackend(args) : temporalBackend(args);
  let id: string | undefined;
  process.once('SIGINT', () => {
    process.stderr.write(`\nstopped following; the import keeps running${id ? ` (follow it again with --follow ${id})` : ''}\n`);
    process.exit(130);
  });
  try {
    id = args.follow ?? (await backend.start());
    process.stderr.write(`${args.follow ? 'Following' : 'Started'} invoice import ${id}\n`);
    const result = await follow(backend, id, args.interval);
    for (const failure of result.failures) process.stderr.write(`  failed ${failure.invoice_id}: ${failure.error}\n`);
    if (result.error) process.stderr.write(`import stopped: ${result.error}\n`);
    process.stdout.write(
      `${result.id} ${result.status}: pages=${result.pages} listed=${result.listed} imported=${result.imported} ` +
        `skipped=${result.skipped} ignored=${result.ignored} failed=${result.failed}\n`,
    );
    process.exitCode = result.status === 'completed' ? 0 : 1;
  } finally {
    await backend.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
