/**
 * The open group's workflow bundles, built once per run: `production` is bench/open/workflows.ts (every production
 * workflow plus the empty loop), `minimal` the empty loop alone. The SDK evaluates a bundle's workflow modules
 * once per workflow run (each run gets its own module cache), so the bundle itself costs memory per workflow.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const ENTRIES = {
  production: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  minimal: fileURLToPath(new URL('./empty-loop-workflow.ts', import.meta.url)),
};

export type BenchBundle = keyof typeof ENTRIES;

export async function bundleBenchWorkflows(dir: string, bundle: BenchBundle): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: ENTRIES[bundle], logger: new DefaultLogger('WARN') });
  const codePath = path.join(dir, `open-${bundle}-bundle.js`);
  await writeFile(codePath, code);
  return codePath;
}
