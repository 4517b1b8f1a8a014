import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authorizeUrl, connectRedirectUri, connectSettings } from '../../src/connect/oauth.js';
import { isStateExpired, newNonce, nonceHash, signState, stateKey, verifyState, type ConnectState } from '../../src/connect/state.js';

const KEY = stateKey({ CONNECT_STATE_SECRET: 'x'.repeat(32), STRIPE_SECRET_KEY: 'sk_test_123' });
const STATE: ConnectState = { tenantId: 'acme', subject: 'key:0123456789abcdef', nonce: newNonce(), expiresAt: Math.floor(Date.now() / 1000) + 600 };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Connect OAuth state signer', () => {
  it('round-trips tenant, subject, nonce and expiry', () => {
    const signed = signState(STATE, KEY);
    expect(signed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyState(signed, KEY)).toEqual(STATE);
  });

  it('rejects any change to the payload or signature, and states signed with another key', () => {
    const signed = signState(STATE, KEY);
    const [version, payload, signature] = signed.split('.') as [string, string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(verifyState(`${version}.${b64({ ...decoded, t: 'other' })}.${signature}`, KEY)).toBeUndefined();
    expect(verifyState(`${version}.${b64({ ...decoded, s: 'user:mallory' })}.${signature}`, KEY)).toBeUndefined();
    expect(verifyState(`${version}.${b64({ ...decoded, e: decoded.e + 3600 })}.${signature}`, KEY)).toBeUndefined();
    expect(verifyState(`${version}.${payload}.${signature.slice(0, -2)}AA`, KEY)).toBeUndefined();
    expect(verifyState(`v2.${payload}.${signature}`, KEY)).toBeUndefined();
    // The last of 43 base64url characters carries 2 padding bits: another spelling of the same bytes is refused.
    const last = signature.at(-1)!;
    const sameBytes = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charAt(
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(last) ^ 1,
    );
    const respelled = `${version}.${payload}.${signature.slice(0, -1)}${sameBytes}`;
    expect(Buffer.from(respelled.split('.')[2]!, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
    expect(verifyState(respelled, KEY)).toBeUndefined();
    const otherKey = stateKey({ CONNECT_STATE_SECRET: 'y'.repeat(32), STRIPE_SECRET_KEY: 'sk_test_123' });
    expect(verifyState(signed, otherKey)).toBeUndefined();
    for (const junk of ['', 'v1', 'v1..', 'v1.a.b', `${signed}.x`, 'v1.!!!.???', 'v1.' + 'A'.repeat(5000) + '.x']) {
      expect(verifyState(junk, KEY), junk).toBeUndefined();
    }
  });

  it('rejects a correctly signed payload of the wrong shape', () => {
    const payload = b64({ t: 'acme', s: 'key:x', n: 'n', e: 'tomorrow' });
    const signature = createHmac('sha256', KEY).update(`v1.${payload}`).digest('base64url');
    expect(verifyState(`v1.${payload}.${signature}`, KEY)).toBeUndefined();
  });

  it('checks expiry separately', () => {
    expect(isStateExpired(STATE)).toBe(false);
    expect(isStateExpired({ ...STATE, expiresAt: Math.floor(Date.now() / 1000) - 1 })).toBe(true);
    expect(isStateExpired(STATE, (STATE.expiresAt + 1) * 1000)).toBe(true);
  });

  it('derives a stable key from STRIPE_SECRET_KEY when CONNECT_STATE_SECRET is unset, distinct from the Stripe key', () => {
    const derived = stateKey({ STRIPE_SECRET_KEY: 'sk_test_123' });
    expect(derived).toHaveLength(32);
    expect(derived.equals(stateKey({ STRIPE_SECRET_KEY: 'sk_test_123' }))).toBe(true);
    expect(derived.equals(stateKey({ STRIPE_SECRET_KEY: 'sk_test_456' }))).toBe(false);
    expect(derived.toString('utf8')).not.toContain('sk_test_123');
    const signed = signState(STATE, derived);
    expect(verifyState(signed, derived)).toEqual(STATE);
    expect(verifyState(signed, KEY)).toBeUndefined();
  });

  it('uses fresh nonces and stores only their hash', () => {
    const a = newNonce();
    expect(a).not.toBe(newNonce());
    expect(nonceHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(nonceHash(a)).not.toContain(a);
  });
});

describe('Connect settings', () => {
  const base = {
    STRIPE_SECRET_KEY: 'sk_test_123',
    STRIPE_API_VERSION: '2026-10-28.endive',
    STRIPE_CONNECT_BASE_URL: 'https://connect.stripe.com',
    PUBLIC_BASE_URL: 'https://payments.example.com/',
    CONNECT_REDIRECT_URI: undefined,
    CONNECT_STATE_SECRET: undefined,
    STRIPE_CONNECT_CLIENT_ID: undefined,
  };

  it('names the missing variable', () => {
    expect(connectSettings(base)).toEqual({ ok: false, missing: ['STRIPE_CONNECT_CLIENT_ID'] });
  });

  it('defaults the redirect URI to the callback under PUBLIC_BASE_URL and builds the authorize URL', () => {
    expect(connectRedirectUri(base)).toBe('https://payments.example.com/v1/connect/stripe/callback');
    expect(connectRedirectUri({ ...base, CONNECT_REDIRECT_URI: 'https://x.example/cb' })).toBe('https://x.example/cb');
    const result = connectSettings({ ...base, STRIPE_CONNECT_CLIENT_ID: 'ca_123' });
    if (!result.ok) throw new Error('expected settings');
    const url = new URL(authorizeUrl(result.settings, 'v1.a.b'));
    expect(url.origin + url.pathname).toBe('https://connect.stripe.com/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'ca_123',
      scope: 'read_write',
      redirect_uri: 'https://payments.example.com/v1/connect/stripe/callback',
      state: 'v1.a.b',
    });
  });
});
