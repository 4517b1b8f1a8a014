import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_ENCRYPTION_KEY_ID,
  PayloadDecryptionError,
  parsePayloadKeyRing,
  type PayloadKey,
} from '../../src/temporal/codec/index.js';

const key = (id: string): PayloadKey => ({ id, key: randomBytes(32) });
const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
const str = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

const SECRET = { clientSecret: 'pi_123_secret_abc', email: 'ada@example.test' };

describe('EncryptionCodec (AES-256-GCM)', () => {
  it('round-trips payloads, with the encoding and key id in the metadata and nothing readable in the data', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const payloads = [toPayload(SECRET), toPayload(null), toPayload('')];
    const encoded = await codec.encode(payloads);
    expect(encoded).toHaveLength(3);
    for (const payload of encoded) {
      expect(str(payload.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(str(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('k1');
      expect(Object.keys(payload.metadata ?? {}).sort()).toEqual(['encoding', METADATA_ENCRYPTION_KEY_ID]);
    }
    expect(str(encoded[0]!.data)).not.toContain('ada@example.test');
    expect(str(encoded[0]!.data)).not.toContain('secret');
    const decoded = await codec.decode(encoded);
    expect(decoded.map(fromPayload)).toEqual([SECRET, null, '']);
    expect(str(decoded[0]!.metadata?.encoding)).toBe('json/plain');
  });

  it('uses a fresh random IV per payload', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const [a, b] = await codec.encode([toPayload(SECRET), toPayload(SECRET)]);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('decodes payloads encrypted with an older key after a new primary key is added (rotation)', async () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const [old] = await new EncryptionCodec([k1]).encode([toPayload(SECRET)]);
    const rotated = new EncryptionCodec([k2, k1]);
    expect(fromPayload((await rotated.decode([old!]))[0]!)).toEqual(SECRET);
    const [fresh] = await rotated.encode([toPayload(SECRET)]);
    expect(str(fresh!.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('k2');
    // A process that has not been given k2 yet cannot read the new payloads, and says why.
    await expect(new EncryptionCodec([k1]).decode([fresh!])).rejects.toThrow(/key id "k2", which is not in TEMPORAL_PAYLOAD_KEYS \(known ids: k1\)/);
  });

  it('rejects tampered ciphertext, a tampered tag, a truncated payload and the wrong key material', async () => {
    const k1 = key('k1');
    const codec = new EncryptionCodec([k1]);
    const [encrypted] = await codec.encode([toPayload(SECRET)]);
    const withData = (mutate: (data: Buffer) => Buffer): Payload => ({ ...encrypted!, data: mutate(Buffer.from(encrypted!.data!)) });
    const flip = (index: (data: Buffer) => number) => (data: Buffer) => {
      const copy = Buffer.from(data);
      const at = index(copy);
      copy[at] = copy[at]! ^ 0x01;
      return copy;
    };
    for (const tampered of [withData(flip(() => 20)), withData(flip((data) => data.length - 1)), withData(flip(() => 0))]) {
      await expect(codec.decode([tampered])).rejects.toThrow(PayloadDecryptionError);
      await expect(codec.decode([tampered])).rejects.toThrow(/failed authentication/);
    }
    await expect(codec.decode([withData((data) => data.subarray(0, 20))])).rejects.toThrow(/truncated/);
    await expect(new EncryptionCodec([{ id: 'k1', key: randomBytes(32) }]).decode([encrypted!])).rejects.toThrow(/failed authentication/);
  });

  it('passes unencrypted payloads (histories from before encryption) through decode unchanged', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const plain = [toPayload(SECRET), toPayload(undefined), toPayload(new Uint8Array([1, 2, 3]))];
    expect(await codec.decode(plain)).toEqual(plain);
  });

  it('answers a clear error for an unknown key id or a missing one', async () => {
    const [encrypted] = await new EncryptionCodec([key('old-key')]).encode([toPayload(SECRET)]);
    await expect(new EncryptionCodec([key('k2'), key('k1')]).decode([encrypted!])).rejects.toThrow(
      'payload was encrypted with key id "old-key", which is not in TEMPORAL_PAYLOAD_KEYS (known ids: k2, k1)',
    );
    await expect(new EncryptionCodec([]).decode([encrypted!])).rejects.toThrow(/"old-key", which is not in TEMPORAL_PAYLOAD_KEYS \(not set\)/);
    const { [METADATA_ENCRYPTION_KEY_ID]: _dropped, ...withoutKeyId } = encrypted!.metadata!;
    await expect(new EncryptionCodec([key('old-key')]).decode([{ ...encrypted!, metadata: withoutKeyId }])).rejects.toThrow(/no encryption-key-id/);
  });

  it('without keys (development without TEMPORAL_PAYLOAD_KEYS) leaves payloads unencrypted', async () => {
    const payloads = [toPayload(SECRET)];
    expect(await new EncryptionCodec([]).encode(payloads)).toEqual(payloads);
  });
});

describe('TEMPORAL_PAYLOAD_KEYS', () => {
  const k = (byte: number) => Buffer.alloc(32, byte).toString('base64');
  const REQUIRED = {
    DATABASE_URL: 'postgres://u:p@localhost:5432/db',
    STRIPE_SECRET_KEY: 'sk_test_123',
    STRIPE_WEBHOOK_SECRET: 'whsec_123',
    STRIPE_API_VERSION: '2026-10-28.endive',
  };

  it('parses an ordered key ring: the first key encrypts', () => {
    const config = loadConfig({ ...REQUIRED, TEMPORAL_PAYLOAD_KEYS: ` k2:${k(2)} , k1:${k(1)} ` });
    expect(config.TEMPORAL_PAYLOAD_KEYS.map((entry) => entry.id)).toEqual(['k2', 'k1']);
    expect(config.TEMPORAL_PAYLOAD_KEYS[0]!.key.equals(Buffer.alloc(32, 2))).toBe(true);
    expect(loadConfig(REQUIRED).TEMPORAL_PAYLOAD_KEYS).toEqual([]);
  });

  it('reports malformed entries without echoing key material', () => {
    const { problems } = parsePayloadKeyRing(`k1:${k(1)},k1:${k(3)},nokey,k3:${Buffer.alloc(16, 7).toString('base64')},bad id:${k(4)}`);
    expect(problems).toEqual([
      'entry 2 ("k1"): key id "k1" is listed twice',
      'entry 3: expected <key id>:<base64 of 32 bytes>, with a key id of letters, digits, ".", "_" or "-"',
      expect.stringContaining('entry 4 ("k3"): the key must be 32 bytes'),
      expect.stringContaining('entry 5 ("bad id"): expected'),
    ]);
    expect(problems.join('\n')).not.toContain(k(1).slice(0, 10));
    expect(() => loadConfig({ ...REQUIRED, TEMPORAL_PAYLOAD_KEYS: 'k1:short' })).toThrow(/TEMPORAL_PAYLOAD_KEYS: entry 1 \("k1"\): the key must be 32 bytes/);
  });

  it('is required in production', () => {
    let error: unknown;
    try {
      loadConfig({ ...REQUIRED, NODE_ENV: 'production' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^TEMPORAL_PAYLOAD_KEYS: required in production/)]);
    expect(loadConfig({ ...REQUIRED, NODE_ENV: 'production', TEMPORAL_PAYLOAD_KEYS: `k1:${k(1)}` }).TEMPORAL_PAYLOAD_KEYS).toHaveLength(1);
  });
});
