/** Problem details (RFC 9457) as plain data: what a refused request says, independent of the HTTP layer. */

/** One refused input field: `field` is a dotted path (`items.0.amount`), `(root)` for the whole body. */
export interface FieldError {
  field: string;
  message: string;
}

/** Extra members of a problem: field errors, response headers (Retry-After), anything else the client may use. */
export interface ProblemExtra {
  errors?: FieldError[];
  headers?: Record<string, string>;
  [key: string]: unknown;
}

export interface Problem {
  status: number;
  /** The stable machine-readable part clients branch on. */
  code: string;
  message: string;
  extra: ProblemExtra;
}
