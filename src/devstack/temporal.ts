/**
 * Temporal dev server (`temporal server start-dev`) with our custom search attributes registered.
 * Restartable: stop() and start again with the same dbFile (and port) keeps workflow state.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../temporal/search-attributes.js';
import { resolveTool } from '../tools/resolve.js';
import { findFreePort, LOCALHOST, pollUntil } from './ports.js';
import { raceWithExit, spawnProcess, type Output } from './processes.js';

export interface StartTemporalOptions {
  /** gRPC frontend port on 127.0.0.1; free one picked when omitted. */
  port?: number;
  /** Web UI port (ignored when headless); free one picked when omitted. */
  uiPort?: number;
  /** SQLite file for persistence; omitted → in-memory (state lost on stop). */
  dbFile?: string;
  /** Disable the Web UI (tests). */
  headless?: boolean;
  /** Remote codec endpoint the Web UI decodes payloads with (`--ui-codec-endpoint`), e.g. http://localhost:4000/codec. */
  uiCodecEndpoint?: string;
  /** Namespace to wait for (default `default`, which always exists); others are created at launch. */
  namespace?: string;
  /** Path to the `temporal` CLI; resolved (and installed if needed) via resolveTool when omitted. */
  executable?: string;
  output?: Output;
  /** Append the tool's own output to this file instead of the console (see SpawnOptions.logFile). */
  logFile?: string;
  log?: (msg: string) => void;
  /** How long to wait for the server to become usable (default 90s). */
  startTimeoutMs?: number;
}

export interface RunningTemporal {
  /** host:port for Connection.connect / TEMPORAL_ADDRESS. */
  address: string;
  port: number;
  namespace: string;
  uiUrl?: string;
  dbFile?: string;
  executable: string;
  pid: number;
  /** Idempotent; waits for the server process to exit. */
  stop(): Promise<void>;
}

/** CLI args for `temporal server start-dev`, exported for inspection in tests. */
export function temporalDevServerArgs(o: { port: number; uiPort?: number; dbFile?: string; namespace: string; uiCodecEndpoint?: string }): string[] {
  const args = ['server', 'start-dev', '--ip', LOCALHOST, '--port', String(o.port), '--namespace', 'default'];
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  if (o.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort), '--ui-disable-news-fetch');
  if (o.uiPort !== undefined && o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  for (const { name, type } of SEARCH_ATTRIBUTE_DEFINITIONS) args.push('--search-attribute', `${name}=${type}`);
  args.push('--log-level', 'warn');
  return args;
}

// temporal.api.enums.v1.IndexedValueType
const INDEXED_VALUE_TYPE = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 } as const;

/**
 * Registers SEARCH_ATTRIBUTE_DEFINITIONS on a server that was not started by startTemporalDevServer, e.g. the
 * time-skipping test server (TestWorkflowEnvironment.createTimeSkipping), which otherwise rejects workflows that
 * upsert them ("search attribute X is not defined"). Already-registered attributes are fine on the dev server too.
 */
export async function registerSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace = 'default'): Promise<void> {
  const searchAttributes = Object.fromEntries(SEARCH_ATTRIBUTE_DEFINITIONS.map(({ name, type }) => [name, INDEXED_VALUE_TYPE[type]]));
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (error) {
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
}

/**
 * Resolves when `namespace` answers describeNamespace and lists every custom search attribute. Attributes added
 * since a kept database file (.data/temporal.db) was created are registered here: `start-dev --search-attribute`
 * only defines them in a new database.
 */
export async function waitForTemporal(address: string, namespace: string, timeoutMs = 90_000): Promise<void> {
  const wanted = SEARCH_ATTRIBUTE_DEFINITIONS.map((d) => d.name);
  await pollUntil(
    async () => {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = wanted.filter((name) => !customAttributes || !(name in customAttributes));
        if (missing.length > 0) await registerSearchAttributes(connection, namespace).catch(() => undefined);
        if (missing.length > 0) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
        return true;
      } finally {
        await connection.close().catch(() => undefined);
      }
    },
    `Temporal at ${address} (namespace ${namespace})`,
    timeoutMs,
    300,
  );
}

export async function startTemporalDevServer(opts: StartTemporalOptions = {}): Promise<RunningTemporal> {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`[temporal] ${msg}\n`));
  const executable = opts.executable ?? (await resolveTool('temporal', { log }));
  const namespace = opts.namespace ?? 'default';
  const port = await findFreePort(opts.port);
  const uiPort = opts.headless ? undefined : await findFreePort(opts.uiPort ?? port + 1000);
  const dbFile = opts.dbFile ? path.resolve(opts.dbFile) : undefined;
  if (dbFile) await mkdir(path.dirname(dbFile), { recursive: true });

  // The CLI reads TEMPORAL_* env vars for client commands; keep the app's settings away from the server.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TEMPORAL_')));
  const proc = spawnProcess({
    name: 'temporal',
    command: executable,
    args: temporalDevServerArgs({ port, uiPort, dbFile, namespace, uiCodecEndpoint: opts.uiCodecEndpoint }),
    env,
    output: opts.output,
    logFile: opts.logFile,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 20_000,
    quietWhileStopping: true,
  });

  const address = `${LOCALHOST}:${port}`;
  try {
    await raceWithExit(proc, waitForTemporal(address, namespace, opts.startTimeoutMs ?? 90_000));
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return {
    address,
    port,
    namespace,
    uiUrl: uiPort === undefined ? undefined : `http://${LOCALHOST}:${uiPort}`,
    dbFile,
    executable,
    pid: proc.pid,
    stop: () => proc.stop(),
  };
}
