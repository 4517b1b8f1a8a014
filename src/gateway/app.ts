import { randomUUID } from 'node:crypto';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type Stripe from 'stripe';
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import { maskText, type Logger } from '../logger.js';
import { createStripeClient } from '../stripe/client.js';
import { isTemporalUnavailable } from '../temporal/errors.js';
import { createAuthenticator, requireRole, type Principal } from './auth.js';
import { buildOpenApiDocument, DOCS_HTML, DOCS_JS } from './openapi.js';
import { HttpProblem } from './problem.js';
import { writeRateLimit } from './rate-limit.js';
import { isDeadlineExceeded, isStripeUnavailable, temporalAnswers } from './upstream.js';
import { adminRoutes } from './routes/admin/index.js';
import { connectRoutes } from './routes/connect/index.js';
import { creditRoutes } from './routes/credits/index.js';
import { createPlatformMetrics, tenantMetricsRegistry, type PlatformMetrics } from '../metrics/platform.js';
import { attentionRoutes } from './routes/attention/index.js';
import { excessPaymentRoutes } from './routes/excess-payments/index.js';
import { invoiceRoutes } from './routes/invoices/index.js';
import { orderRoutes } from './routes/orders/index.js';
import { paymentPageRoutes } from './routes/payment-pages/index.js';
import { paymentReturnRoutes } from './routes/payment-return/index.js';
import { recoveryRoutes } from './routes/recovery/index.js';
import { subscriptionRoutes } from './routes/subscriptions/index.js';
import { transactionRoutes } from './routes/transactions/index.js';
import { healthRoutes } from './routes/health/index.js';
import { CODEC_PATH, codecRoutes } from './routes/codec/index.js';
import { consoleRoutes } from './routes/console/index.js';
import { STRIPE_WEBHOOK_PATH, stripeWebhookHandlers } from './routes/webhooks.js';
import { twilioWebhookRouter, unsubscribeRouter } from './routes/messaging-webhooks/index.js';

export interface GatewayDeps {
  config: Config;
  db: Db;
  temporal: Client;
  log: Logger;
  /**
   * Read-only Stripe calls (catalog, Checkout Session status, the return page); Stripe API writes run in workflows.
   * Connect's OAuth code exchange and deauthorization (connect.stripe.com) are still called from the route.
   */
  stripe?: Stripe;
  version?: string;
  /** Prometheus metrics (src/metrics/): main.ts shares them with the METRICS_PORT listener. */
  metrics?: PlatformMetrics;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

const requestContext =
  (log: Logger): RequestHandler =>
  (req, res, next) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // Building a child logger and a finish listener per request is measurable on the webhook hot path.
    if (!log.isLevelEnabled('info')) {
      res.locals.log = log;
      next();
      return;
    }
    const requestLog = log.child({ requestId });
    const started = process.hrtime.bigint();
    res.locals.log = requestLog;
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Never the query string; a card number or an address typed into a path is masked.
      requestLog.info({ method: req.method, path: maskText(req.path), status: res.statusCode, ms: Math.round(ms) }, 'request');
    });
    next();
  };

/**
 * Unreachable, restarting, or too slow: 57014 is query_canceled (statement_timeout), "Query read timeout" the
 * client-side query_timeout (a frozen server), "timeout exceeded when trying to connect" no free slot or no
 * connection within DATABASE_CONNECT_TIMEOUT_MS (src/db/connection.ts).
 */
function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P03' || code === '57014' || code === 'ECONNREFUSED')) ||
    (error instanceof Error && /timeout exceeded when trying to connect|Connection terminated|Query read timeout/i.test(error.message))
  );
}

/** A body-parser failure reading the bytes (corrupt gzip/deflate/br data, a body shorter than its Content-Length). */
function isUndecodableBody(error: unknown): boolean {
  const { status, code, type } = (error ?? {}) as { status?: unknown; code?: unknown; type?: unknown };
  return status === 400 && ((typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__'))) || type === 'request.size.invalid');
}

const retryLater = { headers: { 'Retry-After': '5' } };

/** The problem for an error; only a deadline needs I/O (is Temporal there at all?). */
async function problemFor(error: unknown, temporal: Client, log: Logger | undefined): Promise<HttpProblem> {
  const body = error as { type?: unknown } | undefined;
  if (error instanceof HttpProblem) return error;
  if (body?.type === 'entity.parse.failed') return new HttpProblem(400, 'invalid_json', 'The request body is not valid JSON.');
  if (body?.type === 'entity.too.large') return new HttpProblem(413, 'payload_too_large', 'The request body is too large.');
  if (body?.type === 'encoding.unsupported' || body?.type === 'charset.unsupported') {
    return new HttpProblem(415, 'unsupported_encoding', 'The request body encoding is not supported.');
  }
  if (isUndecodableBody(error)) return new HttpProblem(400, 'invalid_body_encoding', 'The request body could not be decoded as its Content-Encoding and charset say.');
  if (isStripeUnavailable(error)) {
    log?.warn({ err: error }, 'Stripe unavailable');
    return new HttpProblem(503, 'stripe_unavailable', 'Stripe is unreachable or did not answer in time; retry shortly.', retryLater);
  }
  if (isDeadlineExceeded(error)) {
    if (await temporalAnswers(temporal)) {
      log?.warn({ err: error }, 'deadline exceeded with Temporal reachable');
      return new HttpProblem(503, 'upstream_timeout', 'The operation did not finish in time (it may still complete); retry shortly.', retryLater);
    }
    log?.warn({ err: error }, 'Temporal unavailable');
    return new HttpProblem(503, 'temporal_unavailable', 'The workflow engine is unreachable; retry shortly.', retryLater);
  }
  if (isTemporalUnavailable(error)) {
    log?.warn({ err: error }, 'Temporal unavailable');
    return new HttpProblem(503, 'temporal_unavailable', 'The workflow engine is unreachable; retry shortly.', retryLater);
  }
  if (isDatabaseUnavailable(error)) {
    log?.warn({ err: error }, 'database unavailable');
    return new HttpProblem(503, 'database_unavailable', 'The database is unreachable; retry shortly.', retryLater);
  }
  log?.error({ err: error }, 'unhandled error');
  return new HttpProblem(500, 'internal_error', 'An unexpected error occurred.');
}

/** Every error leaves as RFC 9457 problem details; unexpected ones are logged with the request id. */
const problemHandler =
  (temporal: Client, metrics: PlatformMetrics): ErrorRequestHandler =>
  (error, req, res, _next) => {
    const log = (res.locals.log as Logger | undefined) ?? undefined;
    void problemFor(error, temporal, log)
      .catch(() => new HttpProblem(500, 'internal_error', 'An unexpected error occurred.'))
      .then((problem) => {
        if (problem.status === 503) metrics.gateway.unavailable.inc({ code: problem.code });
        sendProblem(problem, req, res);
      });
  };

function sendProblem(problem: HttpProblem, req: Request, res: Response): void {
  if (res.headersSent) return;
  const { errors, headers, ...extra } = problem.extra;
  for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: `urn:payments:problem:${problem.code}`,
      title: problem.code.replaceAll('_', ' '),
      status: problem.status,
      code: problem.code,
      detail: problem.message,
      instance: req.originalUrl,
      request_id: res.locals.requestId,
      ...(errors ? { errors } : {}),
      ...extra,
    });
}

export function createApp({
  config,
  db,
  temporal,
  log,
  stripe = createStripeClient(config),
  version = '0.1.0',
  metrics = createPlatformMetrics({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE }),
}: GatewayDeps): express.Express {
  const app = express();
  app.locals.metrics = metrics;
  const registry = new OpenAPIRegistry();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext(log));
  // First and before express.json: the webhook route needs the raw bytes for the signature, and its caller
  // is Stripe, not a browser, so it skips the browser security headers below (measured on the ingest bench).
  app.post(STRIPE_WEBHOOK_PATH, ...stripeWebhookHandlers({ config, db, temporal, stripe, log, metrics: metrics.gateway }));
  // Twilio posts urlencoded forms (signed over the parsed params); the router parses its own bodies.
  app.use(twilioWebhookRouter({ config, db, log }));
  app.use(helmet());
  // Public unsubscribe pages (browser-facing, so after helmet); the signed token in the link authorises them.
  app.use(unsubscribeRouter({ config, db, log }));

  app.use(healthRoutes({ db, temporal, version, timeoutMs: 2_000 }));
  // Temporal UI/CLI payload codec (admin only, CORS for the UI): before express.json, it parses its own larger bodies.
  app.use(codecRoutes({ config, db }));
  // CORS for the API routers below, only for ALLOWED_FRONTEND_ORIGINS (other origins get no CORS headers). The
  // webhooks (server callers; even a preflight to their paths) and the codec (its own CORS) never get it.
  const frontendOrigins = new Set(config.ALLOWED_FRONTEND_ORIGINS);
  const noCors = (path: string) => path.startsWith('/v1/webhooks/') || path === CODEC_PATH || path.startsWith(`${CODEC_PATH}/`);
  const frontendCors = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && frontendOrigins.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
  app.use((req, res, next) => (noCors(req.path) ? next() : frontendCors(req, res, next)));

  app.use(express.json({ limit: config.BODY_LIMIT, strict: true }));
  const authenticate = createAuthenticator(db, config);
  const writeLimit = writeRateLimit(config.RATE_LIMIT_WRITES_PER_MINUTE);
  const routeDeps = { config, db, temporal, stripe, authenticate, writeLimit };
  app.use(creditRoutes(registry, routeDeps));
  app.use(subscriptionRoutes(registry, routeDeps));
  app.use(orderRoutes(registry, routeDeps));
  app.use(adminRoutes(registry, routeDeps));
  app.use(connectRoutes(registry, routeDeps));
  app.use(invoiceRoutes(registry, routeDeps));
  app.use(recoveryRoutes(registry, routeDeps));
  app.use(transactionRoutes(registry, routeDeps));
  app.use(excessPaymentRoutes(registry, routeDeps));
  app.use(attentionRoutes(registry, routeDeps));
  app.use(paymentPageRoutes(registry, routeDeps));
  // Prometheus text for a tenant admin: that tenant's money and stuck work (the operator's full set: METRICS_PORT).
  app.get('/metrics', authenticate, requireRole('admin'), async (_req, res, next) => {
    try {
      const principal = res.locals.principal as Principal;
      const tenantRegistry = tenantMetricsRegistry({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE }, principal.tenantId);
      res.type(tenantRegistry.contentType).send(await tenantRegistry.metrics());
    } catch (error) {
      next(error);
    }
  });
  // Public landing page after Checkout (customer browser, no credentials; helmet's headers apply).
  app.use(paymentReturnRoutes(registry, routeDeps));
  // The operator console's page and bundle (public files; its data comes from the admin API with the key typed in).
  app.use(consoleRoutes({ config, log }));

  const openApiDocument = buildOpenApiDocument(registry, version, config.PUBLIC_BASE_URL);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_HTML);
  });
  app.get('/docs.js', (_req, res) => {
    res.type('application/javascript').send(DOCS_JS);
  });

  app.use((req, _res, next) => next(new HttpProblem(404, 'route_not_found', `No route for ${req.method} ${req.path}.`)));
  app.use(problemHandler(temporal, metrics));
  return app;
}
