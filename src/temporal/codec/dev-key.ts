import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatPayloadKey, parsePayloadKeyRing } from './key-ring.js';

/**
 * `npm start` without TEMPORAL_PAYLOAD_KEYS: a key ring generated once and kept in `file` (owner-only), so workflow
 * histories in .data/temporal.db stay readable across restarts. Deleting the file makes them undecodable.
 */
export async function ensureDevPayloadKeyRing(file: string): Promise<{ keyRing: string; created: boolean }> {
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) {
    const keyRing = existing.trim();
    const { keys, problems } = parsePayloadKeyRing(keyRing);
    if (problems.length > 0 || keys.length === 0) throw new Error(`${file} is not a valid TEMPORAL_PAYLOAD_KEYS value: ${problems.join('; ') || 'empty'}`);
    return { keyRing, created: false };
  }
  const keyRing = formatPayloadKey({ id: `dev-${new Date().toISOString().slice(0, 10)}`, key: randomBytes(32) });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${keyRing}\n`, { mode: 0o600, flag: 'wx' });
  return { keyRing, created: true };
}
