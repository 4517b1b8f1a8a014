/**
 * Under `npm start` the dev tools' own output (stripe-mock's request dumps, Temporal, Prism, PostgreSQL) goes to
 * .data/logs/<tool>.log, not the console: spawnProcess({ logFile }) writes a child's lines there and nowhere else.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { raceWithExit, spawnProcess } from '../../src/devstack/processes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'devstack-logs-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

function spyConsole() {
  const written: string[] = [];
  const record = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(record);
  vi.spyOn(process.stderr, 'write').mockImplementation(record);
  return written;
}

describe('spawnProcess with a log file', () => {
  it('writes the child’s stdout and stderr to the file (directory created) and nothing to the console', async () => {
    const logFile = path.join(dir, 'logs', 'tool.log');
    const written = spyConsole();
    const seen: string[] = [];
    const proc = spawnProcess({
      name: 'tool',
      command: 'sh',
      args: ['-c', 'echo "POST /v1/customers email=jane@example.com"; echo "warning on stderr" >&2'],
      logFile,
      onLine: (line) => seen.push(line),
    });
    await proc.exited;
    const both = async () => {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      return text.includes('jane@example.com') && text.includes('warning on stderr');
    };
    await expect.poll(both, { timeout: 5000 }).toBe(true);
    vi.restoreAllMocks();

    const content = await readFile(logFile, 'utf8');
    expect(content).toContain('POST /v1/customers email=jane@example.com\n');
    expect(content).toContain('warning on stderr\n');
    expect(written.join('')).not.toContain('jane@example.com');
    expect(written.join('')).not.toContain('warning on stderr');
    expect(proc.logFile).toBe(logFile);
    // Readiness detection and error messages still see the lines.
    expect(seen).toEqual(expect.arrayContaining(['warning on stderr']));
    expect(proc.recentOutput()).toContain('warning on stderr');
    await proc.stop();
  });

  it('appends across restarts, and a tool that dies before it is ready names its log file', async () => {
    const logFile = path.join(dir, 'tool.log');
    spyConsole();
    const first = spawnProcess({ name: 'tool', command: 'sh', args: ['-c', 'echo first run'], logFile });
    await first.exited;
    await first.stop();
    const second = spawnProcess({ name: 'tool', command: 'sh', args: ['-c', 'echo broken config >&2; exit 3'], logFile });
    const error = await raceWithExit(second, new Promise(() => undefined)).catch((e: unknown) => e as Error);
    await second.stop();
    vi.restoreAllMocks();
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`Full log: ${logFile}`);
    await expect.poll(async () => readFile(logFile, 'utf8'), { timeout: 5000 }).toContain('broken config');
    expect(await readFile(logFile, 'utf8')).toContain('first run');
  });

  it('without a log file keeps printing prefixed lines (unchanged default)', async () => {
    const written = spyConsole();
    const proc = spawnProcess({ name: 'plain', command: 'sh', args: ['-c', 'echo hello'] });
    await proc.exited;
    await expect.poll(() => written.join(''), { timeout: 5000 }).toContain('[plain] hello');
    vi.restoreAllMocks();
    await proc.stop();
  });
});
