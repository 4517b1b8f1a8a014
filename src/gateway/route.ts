import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type Stripe from 'stripe';
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import type { ZodType } from 'zod';
import { z } from './zod.js';
import { requireBackOffice, requireRole, type Principal } from './auth.js';
import { commonResponses } from './openapi.js';
import { createHash } from 'node:crypto';
import { claimIdempotencyKey, releaseIdempotencyKey } from '../db/idempotency-keys.js';
import { problemCodeOf } from './schemas.js';
import { fieldErrors, HttpProblem, problems } from './problem.js';

/** What every route module receives from createApp. */
export interface RouteDeps {
  config: Config;
  db: Db;
  temporal: Client;
  stripe: Stripe;
  authenticate: RequestHandler;
  writeLimit: RequestHandler;
}

export interface ValidatedRequest<Body, Query, Params> {
  body: Body;
  query: Query;
  params: Params;
  principal: Principal;
  raw: Request;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<B extends ZodType, Q extends ZodType, P extends ZodType> {
  method: Method;
  /** OpenAPI-style path, e.g. /v1/credits/top-ups/{id}. */
  path: string;
  summary: string;
  tags: string[];
  body?: B;
  query?: Q;
  params?: P;
  headers?: z.ZodObject;
  responses: RouteConfig['responses'];
  middleware?: RequestHandler[];
  /** No API key or token (e.g. a browser redirect authenticated by a signed parameter). */
  public?: boolean;
  /**
   * The route honours Idempotency-Key (give `headers: idempotencyHeaders(...)` too): the key is bound to the first
   * request's hash, and the same key with another request answers 422 idempotency_key_reused before the handler runs.
   */
  idempotency?: { db: Db };
}

const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    instance: z.string().optional(),
    request_id: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

export const jsonResponse = (description: string, schema: ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

function parse<T extends ZodType>(schema: T | undefined, value: unknown, where: string): z.infer<T> {
  if (!schema) return value as z.infer<T>;
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const errors = fieldErrors(result.error, where);
    const code = problemCodeOf(result.error);
    if (code) throw new HttpProblem(400, code, errors.map((error) => `${error.field}: ${error.message}`).join('; '), { errors });
    throw problems.validation(errors);
  }
  return result.data;
}

/** JSON with object keys sorted, so equal requests hash equally whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(method: string, path: string, params: unknown, body: unknown): string {
  return createHash('sha256').update(canonical({ method, path, params, body })).digest('hex');
}

const keyReused = () => new HttpProblem(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');

/**
 * One definition feeds both the router and the OpenAPI document, so the docs cannot drift from what the
 * route actually validates.
 */
export function addRoute<B extends ZodType = ZodType<unknown>, Q extends ZodType = ZodType<unknown>, P extends ZodType = ZodType<unknown>>(
  router: Router,
  registry: OpenAPIRegistry,
  spec: RouteSpec<B, Q, P>,
  handler: (req: ValidatedRequest<z.infer<B>, z.infer<Q>, z.infer<P>>, res: Response) => Promise<void>,
): void {
  registry.registerPath({
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tags: spec.tags,
    security: spec.public ? [] : [{ bearerAuth: [] }],
    request: {
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } }, required: true } } : {}),
      ...(spec.query ? { query: spec.query as unknown as z.ZodObject } : {}),
      ...(spec.params ? { params: spec.params as unknown as z.ZodObject } : {}),
      ...(spec.headers ? { headers: spec.headers } : {}),
    },
    responses: commonResponses(spec, spec.responses, problemResponse),
  });
  const expressPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
  router[spec.method](expressPath, ...(spec.middleware ?? []), async (req: Request, res: Response, next: NextFunction) => {
    let claimed: Parameters<typeof releaseIdempotencyKey>[1] | undefined;
    try {
      const headers = parse(spec.headers, req.headers, 'headers') as Record<string, unknown>;
      const validated = {
        params: parse(spec.params, req.params, 'params'),
        query: parse(spec.query, req.query, 'query'),
        body: parse(spec.body, req.body, 'body'),
        principal: res.locals.principal as Principal,
        raw: req,
      };
      const key = headers['idempotency-key'];
      if (spec.idempotency && typeof key === 'string' && validated.principal) {
        const claim = {
          tenantId: validated.principal.tenantId,
          // A JWT user's keys are their own: another user of the tenant can neither replay nor block them.
          scope: `${spec.method} ${spec.path}${validated.principal.kind === 'jwt' ? ` user:${validated.principal.userId}` : ''}`,
          key,
          requestHash: requestHash(spec.method, spec.path, validated.params, validated.body),
        };
        const outcome = await claimIdempotencyKey(spec.idempotency.db, claim);
        if (outcome === 'other_request') throw keyReused();
        if (outcome === 'first_use') claimed = claim;
      }
      await handler(validated, res);
    } catch (error) {
      // Refused as invalid before doing anything: the key stays free for the corrected request.
      if (claimed && spec.idempotency && error instanceof HttpProblem && error.status === 400) {
        await releaseIdempotencyKey(spec.idempotency.db, claimed).catch(() => undefined);
      }
      next(error);
    }
  });
}

/**
 * Who may call a route, i.e. the middleware in front of its handler: nobody checked (`public`), any caller with
 * credentials (`signed_in`), API keys and admin users (`back_office`), admins only (`admin`).
 */
export type Access = 'public' | 'signed_in' | 'back_office' | 'admin';

/** One row of a domain's route table: where a handler is mounted and who may reach it. */
export interface RouteRow<Name extends string = string> {
  method: Method;
  /** OpenAPI-style path, e.g. /v1/orders/{order_id}. */
  path: string;
  access: Access;
  /** Counts against the write budget (429 rate_limited): per tenant, or per address on public routes. */
  writes?: boolean;
  handler: Name;
}

/** What a route validates and documents: everything of a RouteSpec except where it is mounted and who may call it. */
export interface RouteContract {
  summary: string;
  /** Defaults to the domain's tags. */
  tags?: string[];
  body?: ZodType;
  query?: ZodType;
  params?: ZodType;
  headers?: z.ZodObject;
  responses: RouteConfig['responses'];
  /** Honours Idempotency-Key (see RouteSpec.idempotency). */
  idempotent?: boolean;
}

type Parsed<C, Key extends string> = C extends { [K in Key]: infer S extends ZodType } ? z.infer<S> : unknown;

/** The validated request a contract's handler receives. */
export type RequestOf<C extends RouteContract> = ValidatedRequest<Parsed<C, 'body'>, Parsed<C, 'query'>, Parsed<C, 'params'>>;

export type HandlerOf<C extends RouteContract> = (req: RequestOf<C>, res: Response) => Promise<void>;

/** One named handler per contract. */
export type Handlers<Contracts extends Record<string, RouteContract>> = { [Name in keyof Contracts]: HandlerOf<Contracts[Name]> };

export type RouteTable<Contracts extends Record<string, RouteContract>> = readonly RouteRow<Extract<keyof Contracts, string>>[];

function middlewareFor(row: RouteRow, { authenticate, writeLimit }: Pick<RouteDeps, 'authenticate' | 'writeLimit'>): RequestHandler[] {
  const checks: Record<Access, RequestHandler[]> = {
    public: [],
    signed_in: [authenticate],
    back_office: [authenticate, requireBackOffice()],
    admin: [authenticate, requireRole('admin')],
  };
  return [...checks[row.access], ...(row.writes ? [writeLimit] : [])];
}

/** A router with every row of `table` mounted, in table order (which is also the order in the OpenAPI document). */
export function routerFromTable<Contracts extends Record<string, RouteContract>>(
  registry: OpenAPIRegistry,
  deps: Pick<RouteDeps, 'db' | 'authenticate' | 'writeLimit'>,
  domain: { tags: string[]; table: RouteTable<Contracts>; contracts: Contracts; handlers: Handlers<Contracts> },
): Router {
  const router = Router();
  for (const row of domain.table) {
    const { idempotent, tags, ...contract }: RouteContract = domain.contracts[row.handler]!;
    addRoute(
      router,
      registry,
      {
        ...contract,
        method: row.method,
        path: row.path,
        tags: tags ?? domain.tags,
        middleware: middlewareFor(row, deps),
        ...(row.access === 'public' ? { public: true } : {}),
        ...(idempotent ? { idempotency: { db: deps.db } } : {}),
      },
      domain.handlers[row.handler] as HandlerOf<RouteContract>,
    );
  }
  return router;
}
