import type { Request } from 'express';
import { HttpProblem } from './problem.js';

/** Return URLs are only ever built from an allow-listed frontend origin, never from arbitrary input. */
export function allowedOrigin(req: Request, allowed: string[]): string {
  const origin = req.header('origin');
  if (!origin) throw new HttpProblem(403, 'origin_required', 'An Origin header from an allowed frontend is required.');
  if (!allowed.includes(origin)) {
    throw new HttpProblem(403, 'origin_not_allowed', `Origin ${origin} is not in ALLOWED_FRONTEND_ORIGINS.`);
  }
  return origin;
}
