import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from '../../src/devstack/temporal.js';
import { getStack } from './stack.js';

/** The time-skipping server from the project's resolved tool (the SDK's own download fails offline). */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: getStack().tools.temporalTestServer } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** Workers in tests share the bundle global setup built once; bundling per test is slow. */
export function workflowBundleOption(): { workflowBundle: { codePath: string } } {
  const codePath = getStack().workflowBundlePath;
  if (!codePath) throw new Error('global setup did not bundle workflows/index.ts');
  return { workflowBundle: { codePath } };
}
