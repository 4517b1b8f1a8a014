import type { DataConverter } from '@temporalio/common';
import type { Config } from '../../config.js';
import { EncryptionCodec } from './encryption-codec.js';

export { EncryptionCodec, ENCRYPTED_ENCODING, METADATA_ENCRYPTION_KEY_ID, PayloadDecryptionError, isEncryptedPayload } from './encryption-codec.js';
export { parsePayloadKeyRing, formatPayloadKey, type PayloadKey } from './key-ring.js';

export function payloadCodec(config: Pick<Config, 'TEMPORAL_PAYLOAD_KEYS'>): EncryptionCodec {
  return new EncryptionCodec(config.TEMPORAL_PAYLOAD_KEYS);
}

/**
 * The data converter of EVERY Temporal client and worker of this application (gateway, worker, activities' client,
 * scripts): payloads are encrypted with TEMPORAL_PAYLOAD_KEYS (see ./encryption-codec.ts). Workers run codecs in the
 * main thread, not in the workflow sandbox, so nothing here needs bundling.
 */
export function temporalDataConverter(config: Pick<Config, 'TEMPORAL_PAYLOAD_KEYS'>): DataConverter {
  return { payloadCodecs: [payloadCodec(config)] };
}
