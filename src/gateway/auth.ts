import type { NextFunction, Request, Response } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config.js';
import { verifyApiKey } from '../db/api-keys.js';
import type { Db } from '../db/connection.js';
import type { ApiKeyRole } from '../db/schema.js';
import { HttpProblem, problems } from './problem.js';

export interface Principal {
  tenantId: string;
  role: ApiKeyRole;
  kind: 'api_key' | 'jwt';
  /** For JWT callers, the end user the token was issued to; they can only act on their own wallet. */
  userId?: string;
}

type JwtConfig = Pick<Config, 'JWT_SECRET' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_TENANT_CLAIM' | 'JWT_ROLE_CLAIM'>;

function createJwtVerifier(config: JwtConfig): ((token: string) => Promise<JWTPayload>) | undefined {
  const options = {
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
  };
  if (config.JWT_JWKS_URL) {
    const jwks = createRemoteJWKSet(new URL(config.JWT_JWKS_URL));
    return async (token) => (await jwtVerify(token, jwks, options)).payload;
  }
  if (config.JWT_SECRET) {
    const key = new TextEncoder().encode(config.JWT_SECRET);
    return async (token) => (await jwtVerify(token, key, { ...options, algorithms: ['HS256'] })).payload;
  }
  return undefined;
}

export function createAuthenticator(db: Db, config: JwtConfig) {
  const verifyJwt = createJwtVerifier(config);

  async function principalFor(token: string): Promise<Principal | undefined> {
    if (token.startsWith('pk_')) {
      const key = await verifyApiKey(db, token);
      return key ? { tenantId: key.tenantId, role: key.role, kind: 'api_key' } : undefined;
    }
    if (!verifyJwt) return undefined;
    const payload = await verifyJwt(token).catch(() => undefined);
    const tenantId = payload?.[config.JWT_TENANT_CLAIM];
    if (!payload || typeof tenantId !== 'string' || typeof payload.sub !== 'string') return undefined;
    const role = payload[config.JWT_ROLE_CLAIM] === 'admin' ? 'admin' : 'member';
    return { tenantId, role, kind: 'jwt', userId: payload.sub };
  }

  return async function authenticate(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const header = req.header('authorization');
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.header('x-api-key');
      if (!token) throw problems.unauthenticated();
      const principal = await principalFor(token);
      if (!principal) throw problems.unauthenticated('The API key or token is invalid, expired or revoked.');
      res.locals.principal = principal;
      next();
    } catch (error) {
      next(error);
    }
  };
}

export function requireRole(role: ApiKeyRole) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const principal = res.locals.principal as Principal | undefined;
    if (principal?.role !== role) {
      next(new HttpProblem(403, 'forbidden', `This operation requires the ${role} role.`));
      return;
    }
    next();
  };
}

/**
 * Which wallet a request acts on: JWT users always their own; API-key callers (servers) name one,
 * defaulting to the tenant's shared wallet.
 */
export function resolveAccountId(principal: Principal, requested: string | undefined): string {
  if (principal.kind === 'jwt') {
    if (requested !== undefined && requested !== principal.userId && principal.role !== 'admin') {
      throw problems.notFound('account');
    }
    return requested ?? principal.userId!;
  }
  return requested ?? 'default';
}

/**
 * An end user: a JWT caller that is not an admin. End users see only the objects they own (their orders, wallet,
 * top-ups, subscriptions, linked invoices) and get 404 for everyone else's; API keys and JWT admins are back office.
 */
export function isEndUser(principal: Principal): principal is Principal & { kind: 'jwt'; userId: string } {
  return principal.kind === 'jwt' && principal.role !== 'admin';
}

/** Back-office writes (invoices, refunds): servers holding an API key, or admin users; never end users. */
export function requireBackOffice() {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const principal = res.locals.principal as Principal | undefined;
    if (!principal || (principal.kind === 'jwt' && principal.role !== 'admin')) {
      next(new HttpProblem(403, 'forbidden', 'This operation needs an API key or an admin user.'));
      return;
    }
    next();
  };
}
