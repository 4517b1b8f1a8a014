/** eslint.config.js keeps src/domain/ pure and lets workflow code import it at runtime. */
import path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/tools/resolve.js';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: PROJECT_ROOT });
});

async function ruleIds(code: string, filePath: string): Promise<Array<string | null>> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((message: Linter.LintMessage) => message.severity === 2).map((message) => message.ruleId);
}

describe('src/domain/ purity lint', () => {
  it.each([
    ['a type import of stripe', 'src/domain/__probe__.ts', "import type Stripe from 'stripe';\nexport type S = Stripe;\n"],
    ['zod', 'src/domain/order/__probe__.ts', "import { z } from 'zod';\nexport const s = z;\n"],
    ['a Node built-in', 'src/domain/order/__probe__.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n"],
    ['config, one level up', 'src/domain/__probe__.ts', "import { loadConfig } from '../config.js';\nexport const c = loadConfig;\n"],
    ['config, two levels up', 'src/domain/order/__probe__.ts', "import { loadConfig } from '../../config.js';\nexport const c = loadConfig;\n"],
    ['activities', 'src/domain/order/__probe__.ts', "import type { X } from '../../../activities/order.js';\nexport type Y = X;\n"],
  ])('refuses %s', async (_label, filePath, code) => {
    expect(await ruleIds(code, filePath)).toEqual(['no-restricted-imports']);
  });

  it('refuses the clock like workflow code', async () => {
    expect(await ruleIds('export const now = (): number => Date.now();\n', 'src/domain/order/__probe__.ts')).toEqual(['no-restricted-properties']);
  });

  it('allows @temporalio/common and imports inside the domain', async () => {
    const code = "import { SearchAttributeType } from '@temporalio/common';\nimport { toSafeInteger } from '../money.js';\nexport const c = [SearchAttributeType, toSafeInteger];\n";
    expect(await ruleIds(code, 'src/domain/order/__probe__.ts')).toEqual([]);
  });

  it('lets workflow code import src/domain/ at runtime, but no other src/ module', async () => {
    const domain = "import { toSafeInteger } from '../../src/domain/money.js';\nexport const c = toSafeInteger;\n";
    expect(await ruleIds(domain, 'workflows/order/__probe__.ts')).toEqual([]);
    const config = "import { loadConfig } from '../src/config.js';\nexport const c = loadConfig;\n";
    expect(await ruleIds(config, 'workflows/__probe__.ts')).toEqual(['no-restricted-imports']);
    const lookalike = "import { x } from '../src/domain.js';\nexport const c = x;\n";
    expect(await ruleIds(lookalike, 'workflows/__probe__.ts')).toEqual(['no-restricted-imports']);
  });

  it('finds no errors in the real src/domain/ folder', async () => {
    const results = await eslint.lintFiles(['src/domain']);
    expect(results.length).toBeGreaterThan(10);
    const errors = results.flatMap((result) =>
      result.messages.filter((message) => message.severity === 2).map((message) => `${path.relative(PROJECT_ROOT, result.filePath)}:${message.line} ${message.message}`),
    );
    expect(errors).toEqual([]);
  });
});
