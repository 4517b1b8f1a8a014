import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestApp, type TestApp } from '../helpers/app-context.js';

/** JWT mode with a JWKS URL: frontends call the API with tokens from their identity provider. */
let app: TestApp;
let jwks: http.Server;
let privateKey: CryptoKey;

beforeAll(async () => {
  const keys = await generateKeyPair('RS256', { extractable: true });
  privateKey = keys.privateKey as CryptoKey;
  const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  jwks = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  app = await createTestApp({ JWT_JWKS_URL: url, JWT_ISSUER: 'https://id.example.test', JWT_AUDIENCE: 'payments-api' });
});

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

function token(claims: Record<string, unknown>, options: { issuer?: string; audience?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setSubject('user-7')
    .setIssuer(options.issuer ?? 'https://id.example.test')
    .setAudience(options.audience ?? 'payments-api')
    .setExpirationTime('5m')
    .sign(privateKey);
}

describe('JWT mode with a JWKS URL', () => {
  it('maps the tenant claim and subject to the caller, and rejects a wrong issuer or audience', async () => {
    const ok = await api(app, 'GET', '/v1/credits/balance', { key: await token({ tenant_id: 't1' }) });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ account_id: 'user-7', balances: [] });
    expect((await api(app, 'GET', '/v1/credits/balance', { key: await token({ tenant_id: 't1' }, { issuer: 'https://evil.test' }) })).status).toBe(401);
    expect((await api(app, 'GET', '/v1/credits/balance', { key: await token({ tenant_id: 't1' }, { audience: 'other' }) })).status).toBe(401);
    expect((await api(app, 'GET', '/v1/credits/balance', { key: await token({}) })).status).toBe(401);
  });
});
