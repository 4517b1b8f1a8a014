/**
 * AES-256-GCM PayloadCodec: every payload the SDK sends to Temporal (workflow/activity inputs and results, signal,
 * query and update arguments, memos, failure details) is replaced by an encrypted one, so Temporal's database, UI
 * and CLI only ever see ciphertext. Structure after temporalio/samples-typescript `encryption`.
 *
 * An encrypted payload:
 *   metadata.encoding          = "binary/encrypted"
 *   metadata.encryption-key-id = the id of the key ring entry that encrypted it
 *   data                       = IV (12 random bytes) ‖ ciphertext ‖ GCM tag (16 bytes)
 * where the plaintext is the original Payload (metadata + data) serialized as protobuf.
 *
 * Payloads without that encoding (histories written before encryption was enabled) pass decode() unchanged.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { PayloadKey } from './key-ring.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = proto.temporal.api.common.v1.Payload;

/** A payload that cannot be decrypted: unknown key id, tampered or truncated data, wrong key. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

const text = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export function isEncryptedPayload(payload: Payload): boolean {
  return text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  /** `keys[0]` encrypts; all decrypt. With no keys, encode() passes payloads through (unencrypted development only). */
  constructor(private readonly keys: readonly PayloadKey[]) {
    this.byId = new Map(keys.map(({ id, key }) => [id, key]));
    for (const { id, key } of keys) if (key.length !== 32) throw new RangeError(`payload key "${id}" must be 32 bytes, got ${key.length}`);
  }

  /** The id new payloads are encrypted with, or undefined when encryption is off. */
  get primaryKeyId(): string | undefined {
    return this.keys[0]?.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const primary = this.keys[0];
    if (!primary) return payloads;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, primary.key, iv, { authTagLength: TAG_BYTES });
      const plaintext = ProtoPayload.encode(payload).finish();
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [METADATA_ENCRYPTION_KEY_ID]: Buffer.from(primary.id),
        },
        data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncryptedPayload(payload) ? this.decrypt(payload) : payload));
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]);
    if (!keyId) throw new PayloadDecryptionError(`encrypted payload has no ${METADATA_ENCRYPTION_KEY_ID} metadata`);
    const key = this.byId.get(keyId);
    if (!key) {
      const known = [...this.byId.keys()];
      throw new PayloadDecryptionError(
        `payload was encrypted with key id "${keyId}", which is not in TEMPORAL_PAYLOAD_KEYS (${known.length > 0 ? `known ids: ${known.join(', ')}` : 'not set'})`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload (key id "${keyId}") is truncated`);
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`encrypted payload (key id "${keyId}") failed authentication: the data was altered or the key is wrong`);
    }
    return ProtoPayload.decode(plaintext);
  }
}
