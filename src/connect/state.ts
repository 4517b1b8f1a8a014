import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The OAuth `state` handed to Stripe and echoed back to the callback:
 *
 *   v1.<base64url(JSON {t: tenant, s: subject, n: nonce, e: expiry unix seconds})>.<base64url(HMAC-SHA256)>
 *
 * The HMAC (over "v1." + payload) makes it tamper-proof and binds it to the tenant and the user or API key
 * that started the onboarding; the expiry bounds its life. It is ALSO stored (as the SHA-256 of the nonce,
 * src/db/connect.ts) and consumed with a conditional UPDATE, which makes it single-use. The callback is
 * authenticated by this state alone (it is the user's browser coming back from Stripe, without an API key).
 */
export interface ConnectState {
  tenantId: string;
  /** `key:<api key id>` or `user:<jwt sub>`. */
  subject: string;
  /** 32 random bytes, base64url. */
  nonce: string;
  /** Unix seconds. */
  expiresAt: number;
}

const VERSION = 'v1';
const HKDF_SALT = 'payments-orchestrator';
const HKDF_INFO = 'connect-oauth-state/v1';

/**
 * The HMAC key: CONNECT_STATE_SECRET when set, otherwise derived from STRIPE_SECRET_KEY with HKDF-SHA256 and a
 * purpose label (the Stripe key itself is never used as an HMAC key, and the derived key reveals nothing about it).
 */
export function stateKey(config: { CONNECT_STATE_SECRET?: string; STRIPE_SECRET_KEY: string }): Buffer {
  if (config.CONNECT_STATE_SECRET) return Buffer.from(config.CONNECT_STATE_SECRET, 'utf8');
  return Buffer.from(hkdfSync('sha256', config.STRIPE_SECRET_KEY, HKDF_SALT, HKDF_INFO, 32));
}

export function newNonce(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database stores for a state: never the nonce itself. */
export function nonceHash(nonce: string): string {
  return createHash('sha256').update(nonce).digest('hex');
}

function mac(key: Buffer, signedPart: string): Buffer {
  return createHmac('sha256', key).update(signedPart).digest();
}

export function signState(state: ConnectState, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify({ t: state.tenantId, s: state.subject, n: state.nonce, e: state.expiresAt })).toString('base64url');
  const signedPart = `${VERSION}.${payload}`;
  return `${signedPart}.${mac(key, signedPart).toString('base64url')}`;
}

const MAX_STATE_LENGTH = 2048;

/**
 * The payload of a state this key signed, or undefined for anything malformed, tampered with or signed with
 * another key. Expiry is NOT checked here (see isStateExpired) so the caller can say "expired" rather than "invalid".
 */
export function verifyState(state: string, key: Buffer): ConnectState | undefined {
  if (state.length > MAX_STATE_LENGTH) return undefined;
  const parts = state.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return undefined;
  const [, payload, signature] = parts as [string, string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]+$/.test(signature)) return undefined;
  // Compared as canonical base64url text: a different spelling of the same bytes (padding bits) is refused too.
  const expected = Buffer.from(mac(key, `${VERSION}.${payload}`).toString('base64url'));
  const actual = Buffer.from(signature);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const { t, s, n, e } = (decoded ?? {}) as Record<string, unknown>;
  if (typeof t !== 'string' || typeof s !== 'string' || typeof n !== 'string' || typeof e !== 'number' || !Number.isSafeInteger(e)) return undefined;
  return { tenantId: t, subject: s, nonce: n, expiresAt: e };
}

export function isStateExpired(state: ConnectState, nowMs = Date.now()): boolean {
  return state.expiresAt * 1000 <= nowMs;
}
