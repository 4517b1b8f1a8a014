/**
 * The payload encryption key ring, from TEMPORAL_PAYLOAD_KEYS: `id:base64,id:base64,...`, each key 32 random
 * bytes (AES-256). The FIRST entry encrypts new payloads; every entry decrypts, so a key is rotated by putting a new
 * one in front and keeping the old ones until no open workflow history still needs them.
 */
export interface PayloadKey {
  /** Stored in each encrypted payload's metadata (`encryption-key-id`); never secret. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
export const KEY_BYTES = 32;

/**
 * Parses the key ring. Problems are returned (never thrown) and never contain key material, so they can go into a
 * configuration error that is printed or logged.
 */
export function parsePayloadKeyRing(text: string | undefined): { keys: PayloadKey[]; problems: string[] } {
  const keys: PayloadKey[] = [];
  const problems: string[] = [];
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator).trim() : '';
    const material = separator > 0 ? entry.slice(separator + 1).trim() : '';
    const where = `entry ${index + 1}${id ? ` ("${id}")` : ''}`;
    if (!KEY_ID_PATTERN.test(id)) {
      problems.push(`${where}: expected <key id>:<base64 of 32 bytes>, with a key id of letters, digits, ".", "_" or "-"`);
      return;
    }
    const key = BASE64.test(material) ? Buffer.from(material, 'base64') : undefined;
    if (!key || key.length !== KEY_BYTES) {
      problems.push(`${where}: the key must be ${KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`)`);
      return;
    }
    if (keys.some((existing) => existing.id === id)) {
      problems.push(`${where}: key id "${id}" is listed twice`);
      return;
    }
    keys.push({ id, key });
  });
  return { keys, problems };
}

/** `id:base64` of a key, the TEMPORAL_PAYLOAD_KEYS entry form. */
export function formatPayloadKey({ id, key }: PayloadKey): string {
  return `${id}:${key.toString('base64')}`;
}
