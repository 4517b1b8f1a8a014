import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Flags that keep Chromium from opening its own background connections: this machine's closed
 * network refuses them, and a refused connection can stall start-up or flood the log.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * Launch the system Chromium (Debian's `chromium` package, or CHROMIUM_PATH) headless through
 * playwright-core. Nothing is downloaded.
 *
 * Profile: a non-persistent `chromium.launch()` always runs on a fresh temporary profile —
 * playwright-core mkdtemp()s `$TMPDIR/playwright_chromiumdev_profile-*`, passes it as
 * `--user-data-dir` and deletes it when the browser closes. (It refuses a `--user-data-dir` in
 * `args`; that is what `launchPersistentContext` is for.)
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}

/** Path for a screenshot under test-results/screenshots/ (the folder is created on demand). */
export function screenshotPath(name: string): string {
  const dir = path.join(repoRoot, 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-');
  return path.join(dir, safe.endsWith('.png') ? safe : `${safe}.png`);
}
