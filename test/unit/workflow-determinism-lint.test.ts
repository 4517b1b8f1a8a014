/**
 * eslint.config.js keeps non-deterministic and I/O code out of workflows/ (Temporal replays workflow code).
 * These tests lint probe snippets as if they lived in workflows/ and check the real folder is clean.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';

const PROBE = 'workflows/__lint_probe__.ts';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: PROJECT_ROOT });
});

async function lint(code: string, filePath = PROBE): Promise<Linter.LintMessage[]> {
  const results = await eslint.lintText(code, { filePath });
  expect(results).toHaveLength(1);
  expect(results[0]!.filePath).toBe(path.join(PROJECT_ROOT, filePath));
  return results[0]!.messages;
}

const DETERMINISM_RULES = ['no-restricted-imports', 'no-restricted-globals', 'no-restricted-properties', 'no-restricted-syntax'];
const determinismErrors = (messages: Linter.LintMessage[]) =>
  messages.filter((message) => message.ruleId !== null && DETERMINISM_RULES.includes(message.ruleId) && message.severity === 2);

describe('workflow determinism lint rules', () => {
  it.each([
    ['stripe', "import Stripe from 'stripe';\nexport const s = Stripe;\n", 'no-restricted-imports'],
    ['node:fs', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'no-restricted-imports'],
    ['bare fs', "import fs from 'fs';\nexport const r = fs;\n", 'no-restricted-imports'],
    ['crypto module', "import { randomUUID } from 'crypto';\nexport const r = randomUUID;\n", 'no-restricted-imports'],
    ['pg', "import pg from 'pg';\nexport const p = pg;\n", 'no-restricted-imports'],
    ['kysely', "import { sql } from 'kysely';\nexport const q = sql;\n", 'no-restricted-imports'],
    ['runtime import from src/', "import { loadConfig } from '../src/config.js';\nexport const c = loadConfig;\n", 'no-restricted-imports'],
    ['runtime import of activities', "import { createTopUpActivities } from '../activities/top-up.js';\nexport const a = createTopUpActivities;\n", 'no-restricted-imports'],
    ['type import from a node built-in', "import type { Stats } from 'node:fs';\nexport type S = Stats;\n", 'no-restricted-imports'],
    ['Date.now()', 'export function now(): number {\n  return Date.now();\n}\n', 'no-restricted-properties'],
    ['Math.random()', 'export function roll(): number {\n  return Math.random();\n}\n', 'no-restricted-properties'],
    ['crypto.randomUUID()', 'export function id(): string {\n  return crypto.randomUUID();\n}\n', 'no-restricted-properties'],
    ['new Date()', 'export function today(): Date {\n  return new Date();\n}\n', 'no-restricted-syntax'],
    ['process.env', 'export function env(): string | undefined {\n  return process.env.X;\n}\n', 'no-restricted-globals'],
    ['setTimeout', 'export function later(): void {\n  setTimeout(() => undefined, 10);\n}\n', 'no-restricted-globals'],
    ['setInterval', 'export function tick(): void {\n  setInterval(() => undefined, 10);\n}\n', 'no-restricted-globals'],
    ['performance', 'export function t(): number {\n  return performance.now();\n}\n', 'no-restricted-globals'],
  ])('reports %s in a workflows/ file', async (_label, code, ruleId) => {
    const errors = determinismErrors(await lint(code));
    expect(errors.map((error) => error.ruleId)).toContain(ruleId);
    // The offending line: the import on line 1, or the call inside the function body.
    const expectedLine = code.startsWith('import') ? 1 : 2;
    expect(errors.find((error) => error.ruleId === ruleId)?.line).toBe(expectedLine);
    expect(errors[0]!.message).toMatch(/Temporal sandbox/);
  });

  it('allows type-only imports from activities/ and the Temporal workflow packages', async () => {
    const code = [
      "import { proxyActivities, sleep } from '@temporalio/workflow';",
      "import { ApplicationFailure } from '@temporalio/common';",
      "import type { TopUpActivities } from '../activities/top-up.js';",
      "import { type CheckoutSessionEvent } from '../src/domain/top-up/contracts.js';",
      "import type { Config } from '../src/config.js';",
      "import { activityOptions } from './activity-options.js';",
      '',
      'export type Probe = [CheckoutSessionEvent, Config];',
      'export async function probeWorkflow(): Promise<void> {',
      "  const acts = proxyActivities<TopUpActivities>(activityOptions({ intervalsMs: [1000] }));",
      "  await sleep('1 minute');",
      "  if (!acts) throw ApplicationFailure.nonRetryable('unreachable');",
      '}',
      '',
    ].join('\n');
    expect(await lint(code)).toEqual([]);
  });

  it('only applies to workflows/: activities/ may import stripe and read the clock', async () => {
    const code = "import Stripe from 'stripe';\nexport const s = Stripe;\nexport const now = (): number => Date.now();\n";
    expect(await lint(code, 'activities/__lint_probe__.ts')).toEqual([]);
    expect(determinismErrors(await lint(code))).toHaveLength(2);
  });

  it('finds no errors in the real workflows/ folder', async () => {
    const files = readdirSync(path.join(PROJECT_ROOT, 'workflows'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    expect(files).toContain('index.ts');
    const results = await eslint.lintFiles(['workflows']);
    // Every workflow file was actually linted (not silently ignored) …
    expect(results.map((result) => path.relative(path.join(PROJECT_ROOT, 'workflows'), result.filePath)).sort()).toEqual(files.sort());
    // … and none has an error.
    const errors = results.flatMap((result) =>
      result.messages.filter((message) => message.severity === 2).map((message) => `${path.relative(PROJECT_ROOT, result.filePath)}:${message.line} ${message.ruleId}: ${message.message}`),
    );
    expect(errors).toEqual([]);
  });
});
