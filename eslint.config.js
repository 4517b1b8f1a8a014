// @ts-check
/**
 * ESLint flat config (ESLint 10 + typescript-eslint 8, type-unaware rules for speed).
 *
 * The important part is the `workflows/**` block at the bottom: Temporal workflow code runs in a
 * deterministic sandbox and is replayed from history, so it must not do I/O, read the environment or the
 * clock, or use randomness/timers other than the ones @temporalio/workflow provides. Everything with side
 * effects belongs in activities/, which workflows reach through `proxyActivities` (type-only imports).
 *
 * `src/domain/**` is the pure floor (contracts, money, invoice merge rules, recovery time, retry schedule) that
 * workflows may import at runtime; the `src/domain/**` blocks keep it as deterministic as workflow code and stop it
 * from importing anything but itself and @temporalio/common.
 */
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import tseslint from 'typescript-eslint';

/**
 * `eslint:recommended` without depending on @eslint/js (not installed): the core rules whose metadata marks
 * them as recommended, which is exactly how @eslint/js builds its `recommended` config.
 */
const eslintRecommended = {
  name: 'eslint/recommended (from rule metadata)',
  rules: Object.fromEntries(
    [...builtinRules]
      .filter(([, rule]) => rule.meta?.docs?.recommended === true && !rule.meta.deprecated)
      .map(([name]) => [name, /** @type {const} */ ('error')]),
  ),
};

/** Packages whose code does I/O (network, database, mail, SMS, HTTP server). */
const IO_PACKAGES = ['stripe', 'pg', 'kysely', 'nodemailer', 'twilio', 'express'];
/** Node built-ins by bare name (fs, path, crypto, http, timers, worker_threads, fs/promises, …). */
const NODE_BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));
/** The only packages workflow code may import at runtime. */
const WORKFLOW_SAFE_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const anyOf = (names) => names.map(escapeRegex).join('|');

const SANDBOX = 'Workflow code is replayed deterministically inside the Temporal sandbox';

const workflowRestrictedImports = {
  paths: [
    ...IO_PACKAGES.map((name) => ({
      name,
      message: `${SANDBOX}: no I/O. Do this in an activity (activities/) and call it via proxyActivities.`,
    })),
    ...NODE_BUILTINS.map((name) => ({
      name,
      message: `${SANDBOX}: Node built-ins are unavailable/non-deterministic. Move this to an activity.`,
    })),
  ],
  patterns: [
    {
      regex: '^node:',
      message: `${SANDBOX}: Node built-ins are unavailable/non-deterministic. Move this to an activity.`,
    },
    {
      regex: `^(${anyOf(IO_PACKAGES)})/`,
      message: `${SANDBOX}: no I/O. Do this in an activity (activities/) and call it via proxyActivities.`,
    },
    {
      // Application runtime code (config, db, stripe client, logger, …). Types are erased, so `import type` is fine.
      // src/domain/ is the exception: pure and deterministic (its own lint block below keeps it so).
      regex: '^(\\.\\./)+src(?!/domain/)(/|$)',
      allowTypeImports: true,
      message: `${SANDBOX}: only \`import type\` from src/ (other than src/domain/) is allowed; runtime code from src/ does I/O or reads config.`,
    },
    {
      regex: '^(\\.\\./)+activities(/|$)',
      allowTypeImports: true,
      message: `${SANDBOX}: only \`import type\` from activities/; call activities via proxyActivities<...>().`,
    },
    {
      // Allowlist for every other package: anything that is not relative, not a Node built-in or one of the
      // I/O packages above (those have their own message) and not a Temporal workflow package.
      regex: `^(?!\\.|node:|(${anyOf([...WORKFLOW_SAFE_PACKAGES, ...IO_PACKAGES, ...NODE_BUILTINS])})(/|$))`,
      allowTypeImports: true,
      message: `${SANDBOX}: only ${WORKFLOW_SAFE_PACKAGES.join(' and ')} may be imported at runtime. If this package is pure, deterministic code, add it to WORKFLOW_SAFE_PACKAGES in eslint.config.js.`,
    },
  ],
};

const useWorkflowApi = (what) => `${SANDBOX}: ${what}`;

const DOMAIN = 'src/domain/ is the pure floor (workflows run it in the Temporal sandbox)';
/** Packages the domain may import: the Temporal data types (search attribute keys, RetryPolicy). */
const DOMAIN_SAFE_PACKAGES = ['@temporalio/common'];
/** How deep below src/ domain files sit: src/domain/money.ts is 1, src/domain/order/contracts.ts is 2. */
const DOMAIN_DEPTHS = [1, 2, 3];

/** no-restricted-imports for a domain file at `depth`: `depth` times `../` climbs out of src/domain/. */
const domainRestrictedImports = (depth) => ({
  paths: [
    ...IO_PACKAGES.map((name) => ({ name, message: `${DOMAIN}: no I/O; map I/O results into domain types outside it.` })),
    ...NODE_BUILTINS.map((name) => ({ name, message: `${DOMAIN}: no Node built-ins.` })),
  ],
  patterns: [
    { regex: '^node:', message: `${DOMAIN}: no Node built-ins.` },
    { regex: `^(${anyOf(IO_PACKAGES)})/`, message: `${DOMAIN}: no I/O; map I/O results into domain types outside it.` },
    {
      regex: `^(\\.\\./){${depth},}`,
      message: `${DOMAIN}: it imports nothing outside src/domain/ (no config, logger, db, activities or workflows).`,
    },
    {
      regex: `^(?!\\.|node:|(${anyOf([...DOMAIN_SAFE_PACKAGES, ...IO_PACKAGES, ...NODE_BUILTINS])})(/|$))`,
      message: `${DOMAIN}: only ${DOMAIN_SAFE_PACKAGES.join(', ')} may be imported (types included).`,
    },
  ],
});

export default defineConfig(
  globalIgnores(['node_modules/', '.tools/', '.data/', 'dist/', 'coverage/', 'bench/results/']),

  {
    name: 'project/files',
    files: [
      '{src,workflows,activities,test,scripts,bench,migrations}/**/*.ts',
      '*.{ts,js,mjs,cjs}',
    ],
  },
  eslintRecommended,
  tseslint.configs.recommended,

  {
    name: 'project/base',
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    rules: {
      // New in ESLint 10's recommended set. Worth fixing, but existing code predates them: warn, don't fail.
      'preserve-caught-error': 'warn',
      'no-useless-assignment': 'warn',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },

  {
    // Kysely's documented migration idiom is `Kysely<any>`: a migration is frozen in time and must not depend on
    // today's Database type.
    name: 'project/migrations',
    files: ['migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  {
    // Tests poke at untyped JSON bodies and Stripe fixtures; `any` there is deliberate.
    name: 'project/tests',
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  {
    // Plain JS config files at the root run on Node.
    name: 'project/node-js',
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },

  {
    name: 'project/workflows-imports',
    files: ['workflows/**/*.ts'],
    rules: {
      // The core rule understands TypeScript `import type` / `allowTypeImports` (typescript-eslint's own
      // extension rule is deprecated in favour of it since 8.64).
      'no-restricted-imports': ['error', workflowRestrictedImports],
    },
  },

  ...DOMAIN_DEPTHS.map((depth) => ({
    name: `project/domain-imports-depth-${depth}`,
    files: [`src/domain/${'*/'.repeat(depth - 1)}*.ts`],
    rules: { 'no-restricted-imports': ['error', domainRestrictedImports(depth)] },
  })),

  {
    // Workflow code, and the domain code it runs.
    name: 'project/workflows-determinism',
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: useWorkflowApi('no process/env access; pass configuration in the workflow input.') },
        { name: 'setTimeout', message: useWorkflowApi("use sleep() or condition(fn, timeout) from '@temporalio/workflow'.") },
        { name: 'setInterval', message: useWorkflowApi("use a loop with sleep() from '@temporalio/workflow'.") },
        { name: 'setImmediate', message: useWorkflowApi("use sleep() or condition() from '@temporalio/workflow'.") },
        { name: 'clearTimeout', message: useWorkflowApi('use a CancellationScope to cancel a sleep().') },
        { name: 'clearInterval', message: useWorkflowApi('use a CancellationScope to cancel a sleep().') },
        { name: 'performance', message: useWorkflowApi('no wall-clock timing; use workflowInfo() / activity results.') },
        { name: 'crypto', message: useWorkflowApi("use uuid4() from '@temporalio/workflow' for ids.") },
        { name: 'fetch', message: useWorkflowApi('no network I/O; do it in an activity.') },
        { name: 'require', message: useWorkflowApi('no require(); use static imports of workflow-safe modules.') },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: useWorkflowApi('do not read the clock; take time from workflow input, activity results or workflowInfo().') },
        { object: 'Math', property: 'random', message: useWorkflowApi("no randomness; use uuid4() from '@temporalio/workflow' or derive from input.") },
        { object: 'crypto', property: 'randomUUID', message: useWorkflowApi("use uuid4() from '@temporalio/workflow'.") },
        { object: 'crypto', property: 'getRandomValues', message: useWorkflowApi('no randomness in workflow code.') },
        { object: 'performance', property: 'now', message: useWorkflowApi('no wall-clock timing.') },
        { object: 'globalThis', property: 'process', message: useWorkflowApi('no process/env access.') },
        { object: 'globalThis', property: 'setTimeout', message: useWorkflowApi("use sleep() from '@temporalio/workflow'.") },
        { object: 'globalThis', property: 'setInterval', message: useWorkflowApi("use sleep() from '@temporalio/workflow'.") },
        { object: 'globalThis', property: 'crypto', message: useWorkflowApi("use uuid4() from '@temporalio/workflow'.") },
        { object: 'globalThis', property: 'performance', message: useWorkflowApi('no wall-clock timing.') },
        { object: 'globalThis', property: 'fetch', message: useWorkflowApi('no network I/O.') },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: useWorkflowApi('`new Date()` reads the clock; take time from workflow input or activity results.'),
        },
        {
          selector: "CallExpression[callee.name='Date']",
          message: useWorkflowApi('`Date()` reads the clock.'),
        },
        {
          selector: 'ImportExpression',
          message: useWorkflowApi('no dynamic import(); use static imports of workflow-safe modules.'),
        },
      ],
    },
  },
);
