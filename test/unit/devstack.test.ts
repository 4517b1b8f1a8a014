import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection, WorkflowClient } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { canConnect, findFreePort } from '../../src/devstack/ports.js';
import { spawnProcess } from '../../src/devstack/processes.js';
import { registerSearchAttributes, startTemporalDevServer } from '../../src/devstack/temporal.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/temporal/search-attributes.js';
import { resolveTool } from '../../src/tools/resolve.js';
import { getStack } from '../helpers/stack.js';

const execFileAsync = promisify(execFile);
const stack = getStack();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('resolveTool', () => {
  it('returns absolute, runnable executables (the same ones global setup provided)', async () => {
    const temporal = await resolveTool('temporal', { install: false });
    expect(path.isAbsolute(temporal)).toBe(true);
    expect(temporal).toBe(stack.tools.temporal);
    const { stdout } = await execFileAsync(temporal, ['--version']);
    expect(stdout).toMatch(/^temporal version \d+\.\d+\.\d+/);

    expect(await resolveTool('temporal-test-server', { install: false })).toBe(stack.tools.temporalTestServer);
    expect(await resolveTool('stripe-mock', { install: false })).toBe(stack.tools.stripeMock);
    for (const file of Object.values(stack.tools)) expect(statSync(file).mode & 0o111).not.toBe(0);
  });

  it('honours the env var override and rejects a non-executable one with the manual alternative', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'resolve-'));
    const notExecutable = path.join(dir, 'stripe-mock');
    await writeFile(notExecutable, 'not a binary', { mode: 0o644 });
    const previous = process.env.STRIPE_MOCK_PATH;
    try {
      process.env.STRIPE_MOCK_PATH = stack.tools.stripeMock;
      expect(await resolveTool('stripe-mock', { install: false })).toBe(stack.tools.stripeMock);
      process.env.STRIPE_MOCK_PATH = notExecutable;
      await expect(resolveTool('stripe-mock', { install: false })).rejects.toThrow(/STRIPE_MOCK_PATH.*not an executable.*go install github\.com\/stripe\/stripe-mock/s);
    } finally {
      if (previous === undefined) delete process.env.STRIPE_MOCK_PATH;
      else process.env.STRIPE_MOCK_PATH = previous;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('global test stack', () => {
  it('stripe-mock answers like the Stripe API', async () => {
    const ok = await fetch(`${stack.stripe.url}/v1/customers/cus_123`, { headers: { Authorization: `Bearer ${stack.stripe.secretKey}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ object: 'customer' });
    const unauthenticated = await fetch(`${stack.stripe.url}/v1/customers/cus_123`);
    expect(unauthenticated.status).toBe(401);
  });

  it('postgres accepts queries on the payments database', async () => {
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number; db: string }>('select 1 as one, current_database() as db');
      expect(rows).toEqual([{ one: 1, db: 'payments' }]);
    } finally {
      await client.end();
    }
  });

  it('temporal has every custom search attribute registered with its type', async () => {
    const connection = await Connection.connect({ address: stack.temporalAddress });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: stack.temporalNamespace });
      for (const { name, type } of SEARCH_ATTRIBUTE_DEFINITIONS) {
        expect(customAttributes?.[name], name).toBe({ Keyword: 2, Bool: 5, Datetime: 6 }[type]); // INDEXED_VALUE_TYPE_KEYWORD = 2, _BOOL = 5, _DATETIME = 6
      }
    } finally {
      await connection.close();
    }
  });

  it('the mail catcher captures what nodemailer sends to SMTP_URL', async () => {
    const subject = `hello ${randomUUID()}`;
    const transport = nodemailer.createTransport(stack.smtpUrl);
    await transport.sendMail({ from: 'payments@localhost', to: 'someone@example.test', subject, text: 'body' });
    transport.close();
    const messages = (await (await fetch(stack.mailApiUrl)).json()) as Array<{ subject: string; to: string[] }>;
    expect(messages.find((m) => m.subject === subject)).toMatchObject({ to: ['someone@example.test'] });
  });

  it('provides an env that passes config validation', () => {
    const config = loadConfig(stack.env);
    expect(config.DATABASE_URL).toBe(stack.databaseUrl);
    expect(config.STRIPE_API_PORT).toBe(stack.stripe.port);
    expect(config.STRIPE_API_PROTOCOL).toBe('http');
  });

  it('provides the pre-bundled workflow code when workflows/index.ts exists', () => {
    const hasWorkflows = existsSync(path.resolve(import.meta.dirname, '../../workflows/index.ts'));
    if (!hasWorkflows) {
      expect(stack.workflowBundlePath).toBeNull();
      return;
    }
    expect(stack.workflowBundlePath).toMatch(/workflow-bundle\.js$/);
    expect(statSync(stack.workflowBundlePath!).size).toBeGreaterThan(1000);
  });
});

describe('startTemporalDevServer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'temporal-restart-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps workflows across a restart on the same db file and port', async () => {
    const dbFile = path.join(dir, 'temporal.db');
    const first = await startTemporalDevServer({ headless: true, dbFile, executable: stack.tools.temporal, output: 'quiet', log: () => undefined });
    const workflowId = `restart-${randomUUID()}`;
    try {
      const connection = await Connection.connect({ address: first.address });
      // No worker polls this queue, so the workflow simply stays RUNNING.
      await new WorkflowClient({ connection }).start('nonexistentWorkflow', { taskQueue: 'nobody-polls-this', workflowId, args: [] });
      await connection.close();
    } finally {
      await first.stop();
      await first.stop(); // idempotent
    }
    expect(alive(first.pid)).toBe(false);
    expect(await canConnect(first.port)).toBe(false);

    const second = await startTemporalDevServer({ headless: true, dbFile, port: first.port, executable: stack.tools.temporal, output: 'quiet', log: () => undefined });
    try {
      expect(second.address).toBe(first.address);
      const connection = await Connection.connect({ address: second.address });
      const description = await new WorkflowClient({ connection }).getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.type).toBe('nonexistentWorkflow');
      await connection.close();
    } finally {
      await second.stop();
    }
  });
});

describe('time-skipping test server from the provided path', () => {
  it('starts, accepts our search attributes, and skips time', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: stack.tools.temporalTestServer } },
    });
    try {
      await registerSearchAttributes(env.connection, env.namespace ?? 'default');
      const before = await env.currentTimeMs();
      await env.sleep('1 day');
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(86_400_000);
    } finally {
      await env.teardown();
    }
  });
});

describe('processes and ports', () => {
  it('stop() kills the whole process group, waits for exit, and is idempotent', async () => {
    let grandchild = 0;
    const proc = spawnProcess({
      name: 'sleepers',
      command: 'sh',
      args: ['-c', 'sleep 300 & echo $!; wait'],
      output: 'quiet',
      onLine: (line) => {
        grandchild = Number(line);
      },
    });
    await expect.poll(() => grandchild, { timeout: 5000 }).toBeGreaterThan(0);
    expect(alive(grandchild)).toBe(true);
    await Promise.all([proc.stop(), proc.stop()]);
    expect(proc.isRunning()).toBe(false);
    await expect.poll(() => alive(grandchild), { timeout: 5000 }).toBe(false);
  });

  it('findFreePort returns a bindable port and avoids a busy preferred one', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const busy = (server.address() as net.AddressInfo).port;
    try {
      const port = await findFreePort(busy);
      expect(port).not.toBe(busy);
      expect(await canConnect(port)).toBe(false);
    } finally {
      server.close();
    }
  });
});
