/**
 * What test/global-setup.ts started for the whole run, for use inside tests:
 *
 *   import { getStack } from '../helpers/stack.js';
 *   const stack = getStack();
 *   const config = loadConfig({ ...stack.env, TEMPORAL_TASK_QUEUE: `test-${randomUUID()}` });
 */
import { inject } from 'vitest';

export interface StackInfo {
  /** postgres:// URL of the shared `payments` database (migrations are NOT applied by the setup). */
  databaseUrl: string;
  /** postgres:// URL of the `postgres` maintenance database, for CREATE DATABASE per test file. */
  postgresAdminUrl: string;
  /** LOGIN roles created in the cluster: test databases are owned by `owner`; apps connect as `app` (createTestDatabase). */
  postgresRoles: { owner: { name: string; password: string }; app: { name: string; password: string } };
  /** host:port of a headless Temporal dev server with SEARCH_ATTRIBUTE_DEFINITIONS registered. */
  temporalAddress: string;
  temporalNamespace: string;
  stripe: { host: string; port: number; protocol: 'http'; url: string; secretKey: string; webhookSecret: string; apiVersion: string };
  /** Mail catcher: SMTP for SMTP_URL, and GET/DELETE `${mailApiUrl}` to read/clear captured messages. */
  smtpUrl: string;
  mailApiUrl: string;
  /** Prism serving the Twilio REST API mock (../shared/twilio/twilio_api_v2010.json); also TWILIO_API_BASE_URL in env. */
  twilioApiUrl: string;
  /** Absolute paths of the resolved executables (start your own servers with them). */
  tools: { temporal: string; temporalTestServer: string; stripeMock: string };
  /** Pre-bundled workflows/index.ts (Worker.create({ workflowBundle: { codePath } })), or null if absent. */
  workflowBundlePath: string | null;
  /** A complete environment for loadConfig()/child processes pointing at all of the above. */
  env: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export function getStack(): StackInfo {
  const stack = inject('stack');
  if (!stack) throw new Error('test stack not provided: run tests through vitest with test/global-setup.ts (see vitest.config.ts)');
  return stack;
}
