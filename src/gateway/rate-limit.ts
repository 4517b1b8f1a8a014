import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Principal } from './auth.js';
import { HttpProblem } from './problem.js';

const writeLimiters = new WeakSet<RequestHandler>();

/** Whether a route's middleware is a write budget (its OpenAPI operation then documents 429). */
export const isWriteRateLimit = (handler: RequestHandler): boolean => writeLimiters.has(handler);

/** Per-tenant write budget; runs after authentication so one tenant cannot starve another behind a shared IP. */
export function writeRateLimit(perMinute: number): RequestHandler {
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req, res) => {
      const principal = res.locals.principal as Principal | undefined;
      return principal ? `tenant:${principal.tenantId}` : ipKeyGenerator(req.ip ?? 'unknown');
    },
    handler: (req, _res, next) => {
      const resetTime = (req as unknown as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
      next(
        new HttpProblem(429, 'rate_limited', `Too many write requests; retry after ${retryAfter} s.`, {
          headers: { 'Retry-After': String(retryAfter) },
        }),
      );
    },
  });
  writeLimiters.add(limiter);
  return limiter;
}
