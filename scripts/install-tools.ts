/**
 * `npm run tools:install`: resolves (installing into .tools/ when missing) every external binary
 * the dev stack and the tests use, and prints where each one is.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveTool, TOOL_NAMES } from '../src/tools/resolve.js';

const execFileAsync = promisify(execFile);

let failed = false;
for (const name of TOOL_NAMES) {
  try {
    const file = await resolveTool(name, { install: true, log: (msg) => console.error(`[tools] ${msg}`) });
    let version = '';
    if (name === 'temporal') {
      version = (await execFileAsync(file, ['--version'])).stdout.trim();
    }
    console.log(`${name.padEnd(22)} ${file}${version ? `  (${version})` : ''}`);
  } catch (error) {
    failed = true;
    console.error(`${name.padEnd(22)} FAILED: ${error instanceof Error ? error.message : String(error)}`);
  }
}
process.exitCode = failed ? 1 : 0;
