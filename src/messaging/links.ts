/**
 * Signed unsubscribe links for recovery emails:
 *
 *   ${PUBLIC_BASE_URL}/v1/messages/unsubscribe?token=v1.<base64url(JSON {t: tenant, c: channel, a: address})>.<base64url(HMAC-SHA256)>
 *
 * The HMAC (over "v1." + payload) makes the link tamper-proof; it does not expire (an unsubscribe link must keep
 * working in an old email) and using it twice is harmless (suppression is idempotent).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import { normaliseAddress } from '../db/suppressions.js';
import type { Channel } from '../domain/messaging/contracts.js';

export interface UnsubscribeClaims {
  tenantId: string;
  channel: Channel;
  /** Normalised address (lower-cased email). */
  address: string;
}

type LinkConfig = Pick<Config, 'MESSAGING_LINK_SECRET' | 'STRIPE_SECRET_KEY'>;

const VERSION = 'v1';
const MAX_TOKEN_LENGTH = 2048;

/** MESSAGING_LINK_SECRET when set, otherwise derived from STRIPE_SECRET_KEY with HKDF and its own purpose label. */
export function linkKey(config: LinkConfig): Buffer {
  if (config.MESSAGING_LINK_SECRET) return Buffer.from(config.MESSAGING_LINK_SECRET, 'utf8');
  return Buffer.from(hkdfSync('sha256', config.STRIPE_SECRET_KEY, 'payments-orchestrator', 'messaging-unsubscribe-link/v1', 32));
}

const mac = (key: Buffer, signedPart: string) => createHmac('sha256', key).update(signedPart).digest();

export function signUnsubscribeToken(claims: UnsubscribeClaims, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify({ t: claims.tenantId, c: claims.channel, a: claims.address })).toString('base64url');
  const signedPart = `${VERSION}.${payload}`;
  return `${signedPart}.${mac(key, signedPart).toString('base64url')}`;
}

/** The claims of a token this key signed, or undefined for anything malformed, tampered with or foreign. */
export function verifyUnsubscribeToken(token: string, key: Buffer): UnsubscribeClaims | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return undefined;
  const given = Buffer.from(parts[2]!, 'base64url');
  const expected = mac(key, `${parts[0]}.${parts[1]}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const body = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { t?: unknown; c?: unknown; a?: unknown };
    if (typeof body.t !== 'string' || (body.c !== 'email' && body.c !== 'sms') || typeof body.a !== 'string') return undefined;
    return { tenantId: body.t, channel: body.c, address: body.a };
  } catch {
    return undefined;
  }
}

/** The one-click unsubscribe URL to put in RecoveryMessageData.unsubscribeUrl (and the List-Unsubscribe header). */
export function unsubscribeUrl(config: LinkConfig & Pick<Config, 'PUBLIC_BASE_URL'>, tenantId: string, email: string): string {
  const address = normaliseAddress('email', email) ?? email.trim().toLowerCase();
  const token = signUnsubscribeToken({ tenantId, channel: 'email', address }, linkKey(config));
  return `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/v1/messages/unsubscribe?token=${encodeURIComponent(token)}`;
}
