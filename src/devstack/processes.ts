/**
 * Child-process helper for the dev stack: prefixes output, runs each child in its own process group
 * (so a terminal Ctrl-C reaches only the orchestrator, which then stops children in order), and
 * kills the whole group on stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export type Output = 'inherit' | 'quiet';

export interface SpawnOptions {
  /** Prefix for output lines, e.g. `temporal` → `[temporal] ...`. */
  name: string;
  command: string;
  args?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user (only when the parent is root, e.g. postgres). */
  uid?: number;
  gid?: number;
  /** 'inherit' (default) prints prefixed lines; 'quiet' only keeps them for error messages. */
  output?: Output;
  /**
   * Append every output line (stdout and stderr, unprefixed) to this file instead of the console, whatever
   * `output` says; the directory is created. The last lines are still kept for error messages.
   */
  logFile?: string;
  /** Signal sent by stop() (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** Send stopSignal to the whole process group (default true) or only to the child (e.g. postgres' postmaster). */
  signalGroup?: boolean;
  /** How long stop() waits before SIGKILL (default 10s). */
  stopTimeoutMs?: number;
  /** Stop echoing output once stop() was called (for servers that log noisily while shutting down). */
  quietWhileStopping?: boolean;
  /** Called for every output line (after prefixing is decided), e.g. to detect readiness. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Where the output goes when SpawnOptions.logFile was given. */
  readonly logFile?: string;
  isRunning(): boolean;
  /** Last output lines, for error messages. */
  recentOutput(): string;
  /** Idempotent: signals the process group, waits for exit, escalates to SIGKILL after the timeout. */
  stop(): Promise<void>;
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** Signals the child's process group (the child is its leader). Never falls back to the bare pid, which may be reused. */
function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if the orchestrator dies without stopping its children: don't leave orphans behind.
  process.on('exit', () => {
    for (const proc of live) killGroup(proc.pid, 'SIGKILL');
  });
}

export function spawnProcess(opts: SpawnOptions): ManagedProcess {
  const output = opts.output ?? 'inherit';
  const child = spawn(opts.command, opts.args ?? [], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    uid: opts.uid,
    gid: opts.gid,
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const recent: string[] = [];
  let stopping: Promise<void> | undefined;
  let file: ReturnType<typeof createWriteStream> | undefined;
  if (opts.logFile) {
    mkdirSync(path.dirname(opts.logFile), { recursive: true });
    file = createWriteStream(opts.logFile, { flags: 'a' });
    // A failing log file must not take the orchestrator down; the error shows up in recentOutput().
    file.on('error', (error) => recent.push(`log file error: ${error.message}`));
    file.write(`--- ${new Date().toISOString()} ${opts.command} ${(opts.args ?? []).join(' ')}\n`);
  }
  const pipe = (stream: NodeJS.ReadableStream, which: 'stdout' | 'stderr') => {
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => {
      recent.push(line);
      if (recent.length > 200) recent.shift();
      if (file && !file.writableEnded) file.write(`${line}\n`);
      const muted = file !== undefined || output === 'quiet' || (opts.quietWhileStopping === true && stopping !== undefined);
      if (!muted) (which === 'stdout' ? process.stdout : process.stderr).write(`[${opts.name}] ${line}\n`);
      opts.onLine?.(line, which);
    });
  };
  pipe(child.stdout!, 'stdout');
  pipe(child.stderr!, 'stderr');

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (error) => {
      recent.push(`spawn error: ${error.message}`);
      if (child.pid === undefined) {
        exitInfo = { code: null, signal: null };
        resolve(exitInfo);
      }
    });
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  // After the pipes drained (close follows exit and the last 'line' events), so no line is lost.
  child.once('close', () => {
    file?.end();
  });

  const proc: ManagedProcess = {
    name: opts.name,
    pid: child.pid ?? -1,
    child,
    exited,
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
    isRunning: () => exitInfo === undefined,
    recentOutput: () => recent.slice(-40).join('\n'),
    stop() {
      stopping ??= (async () => {
        if (exitInfo === undefined && child.pid !== undefined) {
          const signal = opts.stopSignal ?? 'SIGTERM';
          if (opts.signalGroup === false) child.kill(signal);
          else killGroup(child.pid, signal);
          let timer: NodeJS.Timeout | undefined;
          const timedOut = await Promise.race([
            exited.then(() => false),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(true), opts.stopTimeoutMs ?? 10_000);
            }),
          ]);
          clearTimeout(timer);
          if (timedOut) {
            process.stderr.write(`[${opts.name}] did not exit in time; killing\n`);
            killGroup(child.pid, 'SIGKILL');
            await exited;
          }
        }
        // Stragglers left in the group (grandchildren) go too.
        if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
        live.delete(proc);
      })();
      return stopping;
    },
  };
  if (child.pid !== undefined) {
    live.add(proc);
    installExitHook();
    void exited.then(() => {
      if (!stopping) live.delete(proc);
    });
  }
  return proc;
}

/** Rejects if the process exits before `ready` settles; use while waiting for a server to come up. */
export async function raceWithExit<T>(proc: ManagedProcess, ready: Promise<T>): Promise<T> {
  const failed = proc.exited.then((info) => {
    throw new Error(
      `${proc.name} exited before it was ready (${info.signal ?? `exit code ${info.code}`}).${proc.logFile ? ` Full log: ${proc.logFile}.` : ''} Last output:\n${proc.recentOutput()}`,
    );
  });
  return Promise.race([ready, failed]);
}

export interface ShutdownOptions {
  /** Hard limit for the whole shutdown before forcing exit 1 (default 60s). */
  timeoutMs?: number;
  log?: (msg: string) => void;
}

/**
 * Calls `shutdown` once on the first SIGINT/SIGTERM/SIGHUP, then exits 0 (1 if shutdown threw).
 * Repeated signals while shutting down (npm and tsx forward the terminal's Ctrl-C too) are ignored,
 * except that a second Ctrl-C more than 3s later forces an immediate exit.
 */
export function onShutdownSignal(shutdown: (signal: NodeJS.Signals) => Promise<void>, opts: ShutdownOptions = {}): void {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  let startedAt: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (startedAt !== undefined) {
      if (Date.now() - startedAt > 3000) {
        log(`Received ${signal} again; forcing exit.`);
        process.exit(1);
      }
      return;
    }
    startedAt = Date.now();
    log(`\nReceived ${signal}; shutting down…`);
    const force = setTimeout(() => {
      log('Shutdown timed out; forcing exit.');
      process.exit(1);
    }, opts.timeoutMs ?? 60_000);
    force.unref();
    shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        log(`Shutdown failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, handler);
}
