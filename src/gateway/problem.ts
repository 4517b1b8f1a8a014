import type { ZodError } from 'zod';
import type { FieldError, Problem, ProblemExtra } from '../domain/problem.js';


/** A problem thrown by a handler; the app's error middleware renders it as RFC 9457 problem details. */
export class HttpProblem extends Error implements Problem {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: ProblemExtra = {},
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}

export function fieldErrors(error: ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: issue.message,
  }));
}

export const problems = {
  validation: (errors: FieldError[]) => new HttpProblem(400, 'validation_failed', 'The request did not pass validation.', { errors }),
  unauthenticated: (detail = 'A valid API key or bearer token is required.') => new HttpProblem(401, 'unauthenticated', detail),
  forbidden: (code: string, detail: string) => new HttpProblem(403, code, detail),
  notFound: (what = 'resource') => new HttpProblem(404, 'not_found', `No such ${what}.`),
  conflict: (code: string, detail: string, extra: Record<string, unknown> = {}) => new HttpProblem(409, code, detail, extra),
  unavailable: (code: string, detail: string) => new HttpProblem(503, code, detail, { headers: { 'Retry-After': '5' } }),
};
