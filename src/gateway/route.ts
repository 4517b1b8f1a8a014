import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type Stripe from 'stripe';
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import type { ZodType } from 'zod';
import { z } from './zod.js';
import type { Principal } from './auth.js';
import { fieldErrors, problems } from './problem.js';

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
}

const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
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
  if (!result.success) throw problems.validation(fieldErrors(result.error, where));
  return result.data;
}

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
    responses: spec.responses,
  });
  const expressPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
  router[spec.method](expressPath, ...(spec.middleware ?? []), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const validated = {
        params: parse(spec.params, req.params, 'params'),
        query: parse(spec.query, req.query, 'query'),
        body: parse(spec.body, req.body, 'body'),
        principal: res.locals.principal as Principal,
        raw: req,
      };
      await handler(validated, res);
    } catch (error) {
      next(error);
    }
  });
}
