import { OpenApiGeneratorV31, type OpenAPIRegistry, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { RequestHandler } from 'express';
import { isWriteRateLimit } from './rate-limit.js';
import { z } from './zod.js';

/** Node's HTTP server itself refuses a request line plus headers over --max-http-header-size (16 KiB), with no body. */
const HEADERS_TOO_LARGE: ResponseConfig = { description: 'Request line or headers too large (a long query string); empty body, from Node\'s HTTP server' };

/** What decides which problem answers a route can give besides its own (see commonResponses). */
export interface RouteKind {
  path: string;
  public?: boolean;
  middleware?: RequestHandler[];
  /** Honours Idempotency-Key: a key reused with another request answers 422. */
  idempotency?: unknown;
}

const retryAfter = (description: string) => ({ 'Retry-After': { description, schema: { type: 'integer' as const, minimum: 1 } } });

/**
 * The answers every route of a kind can give whatever its handler does, from the middleware in front of it
 * (src/gateway/app.ts): express.json and addRoute's validation (400, 413, 415), authentication (401, 403), the
 * database and Temporal behind authenticated routes (503), the write budget (429), path parameters naming
 * something that may not exist (404), Idempotency-Key (422), the last-resort handler (500), and Node's own
 * 431 for oversized request heads. A route's own entry
 * for the same status wins (it describes the case better).
 */
export function commonResponses(
  kind: RouteKind,
  responses: RouteConfig['responses'],
  problem: (description: string) => ResponseConfig,
): RouteConfig['responses'] {
  const common: RouteConfig['responses'] = {
    400: problem(
      'Malformed or invalid request: `validation_failed` (see `errors`), `invalid_json`, `invalid_body_encoding`, or a field-specific code such as `unsupported_currency` or `invalid_idempotency_key`',
    ),
    413: problem('The request body is larger than the gateway accepts (`payload_too_large`)'),
    415: problem('The request body\'s Content-Encoding or charset is not supported (`unsupported_encoding`)'),
    431: HEADERS_TOO_LARGE,
    500: problem('Unexpected error (`internal_error`); the request id is logged'),
  };
  if (!kind.public) {
    common[401] = problem('Missing, invalid, expired or revoked API key or bearer token (`unauthenticated`)');
    common[403] = problem('The credentials do not allow this operation (`forbidden`, e.g. not an admin)');
    common[503] = {
      ...problem('A dependency is unreachable or slow: `database_unavailable`, `temporal_unavailable`, `upstream_timeout`, `stripe_unavailable`'),
      headers: retryAfter('Seconds to wait before retrying'),
    };
  }
  if (/\{\w+\}/.test(kind.path)) common[404] = problem('No such resource (`not_found`)');
  if (kind.idempotency) common[422] = problem('The Idempotency-Key was already used with a different request (`idempotency_key_reused`)');
  if (kind.middleware?.some(isWriteRateLimit)) {
    common[429] = { ...problem('Too many write requests for this tenant (or address) this minute (`rate_limited`)'), headers: retryAfter('Seconds until the budget refills') };
  }
  const merged = { ...common, ...responses };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const problem = (description: string): ResponseConfig => ({ description, content: { 'application/problem+json': { schema: PROBLEM_REF } } });
const html = { 'text/html': { schema: { type: 'string' as const } } };
const pageOrProblem = (description: string): ResponseConfig => ({ description, content: { ...html, 'application/problem+json': { schema: PROBLEM_REF } } });

/**
 * The routes mounted outside addRoute (src/gateway/routes/webhooks.ts, messaging-webhooks/): signed webhooks and the
 * unsubscribe pages. Documented here with every answer they give; their handlers parse their own bodies.
 */
function registerWebhookPaths(registry: OpenAPIRegistry): void {
  const bodyErrors = {
    413: problem('The body is larger than the webhook limit (`payload_too_large`)'),
    415: problem('The body\'s Content-Encoding or charset is not supported (`unsupported_encoding`)'),
    431: HEADERS_TOO_LARGE,
    500: problem('Unexpected error (`internal_error`)'),
  };
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/stripe',
    summary: 'Stripe webhook endpoint (signed with a STRIPE_WEBHOOK_SECRET; the raw body is verified)',
    tags: ['Webhooks'],
    security: [],
    request: {
      headers: z.object({ 'stripe-signature': z.string().openapi({ description: 'Stripe-Signature: t=…,v1=…' }) }),
      body: { content: { 'application/json': { schema: { type: 'object', description: 'A Stripe event' } } }, required: true },
    },
    responses: {
      200: {
        description: 'Accepted (also for events that need no action)',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { received: { type: 'boolean', enum: [true] }, event_id: { type: ['string', 'null'] } },
              required: ['received', 'event_id'],
            },
          },
        },
      },
      400: problem('`missing_signature`, `missing_body`, `invalid_signature` (no configured secret verifies it) or `invalid_json`'),
      ...bodyErrors,
      503: { ...problem('`temporal_unavailable` or `database_unavailable`: Stripe redelivers later'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
    },
  });
  const twilioForm = { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' as const, additionalProperties: { type: 'string' as const } } } } };
  const twilioErrors = {
    400: problem('The form body is malformed, or (status callback) `missing_fields`: MessageSid and MessageStatus are required'),
    403: problem('`invalid_signature`: X-Twilio-Signature is missing or does not verify'),
    ...bodyErrors,
    503: problem('`twilio_not_configured` (TWILIO_AUTH_TOKEN unset), or `database_unavailable`'),
  };
  const twilioHeaders = z.object({ 'x-twilio-signature': z.string().openapi({ description: 'Twilio request signature' }) });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/twilio/inbound',
    summary: 'Twilio inbound SMS (STOP/START replies), signed with TWILIO_AUTH_TOKEN',
    tags: ['Webhooks'],
    security: [],
    request: { headers: twilioHeaders, body: twilioForm },
    responses: { 200: { description: 'Empty TwiML', content: { 'text/xml': { schema: { type: 'string' } } } }, ...twilioErrors },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/twilio/status',
    summary: 'Twilio message status callback, signed with TWILIO_AUTH_TOKEN',
    tags: ['Webhooks'],
    security: [],
    request: { headers: twilioHeaders, body: twilioForm },
    responses: {
      200: {
        description: 'Recorded (unknown message ids are acknowledged too)',
        content: {
          'application/json': {
            schema: { type: 'object', properties: { received: { type: 'boolean' }, updated: { type: 'integer' } }, required: ['received', 'updated'] },
          },
        },
      },
      ...twilioErrors,
    },
  });
  const token = z.object({ token: z.string().optional().openapi({ description: 'The signed token from the email link' }) });
  const invalidToken = pageOrProblem('`invalid_token`: an HTML page for browsers, problem details for JSON clients');
  const unavailable = problem('`database_unavailable`: retry shortly');
  registry.registerPath({
    method: 'get',
    path: '/v1/messages/unsubscribe',
    summary: 'Email unsubscribe confirmation page (public; the signed token authorises it)',
    tags: ['Messaging'],
    security: [],
    request: { query: token },
    responses: {
      200: { description: 'HTML page with an Unsubscribe button', content: html },
      400: invalidToken,
      431: HEADERS_TOO_LARGE,
      500: problem('Unexpected error (`internal_error`)'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/messages/unsubscribe',
    summary: 'Unsubscribe (the form on the confirmation page)',
    tags: ['Messaging'],
    security: [],
    request: { query: token },
    responses: {
      200: { description: 'HTML page: unsubscribed', content: html },
      400: invalidToken,
      413: problem('The form body is larger than 4 kB (`payload_too_large`)'),
      415: problem('The body\'s Content-Encoding or charset is not supported (`unsupported_encoding`)'),
      431: HEADERS_TOO_LARGE,
      500: problem('Unexpected error (`internal_error`)'),
      503: unavailable,
    },
  });
}

export function buildOpenApiDocument(registry: OpenAPIRegistry, version: string, serverUrl: string) {
  registerWebhookPaths(registry);
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key (pk_...) or, in JWT mode, a frontend token.',
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Payments orchestration API', version },
    servers: [{ url: serverUrl }],
  });
}

/** A dependency-free page that renders /openapi.json, so the docs work offline. */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Payments API docs</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1a1a1a}
h1{margin-bottom:0}.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.m{display:inline-block;min-width:4rem;font-weight:700;text-transform:uppercase}.get{color:#0a7}.post{color:#07c}.delete{color:#c33}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:13px}code{font-size:13px}
</style></head><body><h1>Payments API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p><div id="ops">Loading…</div>
<script src="/docs.js"></script></body></html>`;

export const DOCS_JS = `fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const ops=document.getElementById('ops');ops.textContent='';
  for(const [path,item] of Object.entries(doc.paths||{})){for(const [method,op] of Object.entries(item)){
    const d=document.createElement('details');d.className='op';
    const s=document.createElement('summary');
    s.innerHTML='<span class="m '+method+'"></span> <code></code> — <span></span>';
    s.children[0].textContent=method;s.children[1].textContent=path;s.children[2].textContent=op.summary||'';
    const pre=document.createElement('pre');pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
    d.append(s,pre);ops.append(d);
  }}
  const c=document.createElement('details');c.className='op';c.innerHTML='<summary>Schemas</summary><pre></pre>';
  c.querySelector('pre').textContent=JSON.stringify(doc.components,null,2);ops.append(c);
});
`;
