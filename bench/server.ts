/**
 * The HTTP server under test, run in its own process (forked by bench/run.ts) so the load generator does not
 * share its event loop. Protocol over IPC:
 *   parent → { type: 'start', mode, env }   child → { type: 'ready', port } | { type: 'error', message }
 *   parent → { type: 'timings' }            child → { type: 'timings', request, signalWithStart } (then resets them)
 *   parent → { type: 'stop' }               child exits after closing the server, pool and Temporal connection.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import type { Client } from '@temporalio/client';
import express from 'express';
import type Stripe from 'stripe';
import { loadConfig, type Config } from '../src/config.js';
import { createDb, type Db } from '../src/db/connection.js';
import { createApp } from '../src/gateway/app.js';
import { STRIPE_WEBHOOK_PATH } from '../src/gateway/routes/webhooks.js';
import { createLogger } from '../src/logger.js';
import { createTemporalClient } from '../src/temporal/connection.js';
import { retryScheduleFromConfig } from '../src/temporal/retry.js';
import { topUpWorkflowId } from '../src/temporal/workflow-ids.js';
import { checkoutSessionEventSignal } from '../workflows/top-up/messages.js';
import { topUpWorkflow } from '../workflows/top-up/workflow.js';

export type ServerMode = 'bare-express' | 'gateway-stubbed-temporal' | 'gateway-full' | 'express-signal-with-start';

/** Time spent in one kind of step since the last `timings` request. */
export interface Span {
  count: number;
  totalMs: number;
}
/** gateway-full only: where the ack latency goes inside the gateway process. */
export interface ServerTimings {
  /** From the parsed request line and headers to the response handed to the socket. */
  request: Span;
  /** The Temporal signalWithStart call alone. */
  signalWithStart: Span;
}

export type ParentMessage = { type: 'start'; mode: ServerMode; env: Record<string, string> } | { type: 'timings' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'error'; message: string }
  | ({ type: 'timings' } & ServerTimings);

/** Resolves at once, like a Temporal server with zero latency; only what the webhook path touches. */
function stubTemporal(): Client {
  const stub = {
    workflow: {
      signalWithStart: async (_workflow: unknown, options: { workflowId: string }) => ({ workflowId: options.workflowId, signaledRunId: 'stub-run' }),
    },
    withDeadline: <R>(_deadline: number | Date, fn: () => Promise<R>): Promise<R> => fn(),
    connection: { close: async () => undefined },
  };
  return stub as unknown as Client;
}

function bareExpress(limit: string): express.Express {
  const app = express();
  app.post(STRIPE_WEBHOOK_PATH, express.raw({ type: () => true, limit }), (_req, res) => {
    res.status(200).json({ received: true });
  });
  return app;
}

/**
 * The least an Express handler can do and still ack only after Temporal accepted the signal: parse the JSON and
 * call signalWithStart as the gateway does, with no signature check, routing or request id. Not a product
 * path (it trusts unsigned bodies): it shows the ceiling any Express gateway reaches on this machine.
 */
function expressSignalWithStart(config: Config, client: Client): express.Express {
  const retry = retryScheduleFromConfig(config);
  const app = express();
  app.post(STRIPE_WEBHOOK_PATH, express.raw({ type: () => true, limit: config.WEBHOOK_BODY_LIMIT }), async (req, res, next) => {
    try {
      const event = JSON.parse((req.body as Buffer).toString('utf8')) as Stripe.Event;
      const session = event.data.object as Stripe.Checkout.Session;
      const { tenant_id: tenantId, top_up_id: topUpId } = session.metadata as { tenant_id: string; top_up_id: string };
      const workflowId = topUpWorkflowId(tenantId, topUpId);
      await client.workflow.signalWithStart(topUpWorkflow, {
        workflowId,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [{ tenantId, topUpId, retry }],
        signal: checkoutSessionEventSignal,
        signalArgs: [
          {
            eventId: event.id,
            type: 'checkout.session.completed',
            sessionId: session.id,
            paymentStatus: 'paid',
            amountTotal: session.amount_total ?? 0,
            currency: session.currency ?? '',
          },
        ],
      });
      res.status(200).json({ received: true, event_id: event.id, status: 'routed', workflowId });
    } catch (error) {
      next(error);
    }
  });
  return app;
}

const send = (message: ChildMessage) => process.send?.(message);

const emptyTimings = (): ServerTimings => ({ request: { count: 0, totalMs: 0 }, signalWithStart: { count: 0, totalMs: 0 } });
let timings = emptyTimings();

/** Wraps the client's signalWithStart to time it; the webhook handler calls it exactly as before. */
function timeSignalWithStart(client: Client): void {
  const workflow = client.workflow;
  const inner = workflow.signalWithStart.bind(workflow);
  workflow.signalWithStart = (async (...args: Parameters<typeof inner>) => {
    const started = performance.now();
    try {
      return await inner(...args);
    } finally {
      timings.signalWithStart.count++;
      timings.signalWithStart.totalMs += performance.now() - started;
    }
  }) as typeof workflow.signalWithStart;
}

/** Times each request inside this process; only for gateway-full, where a listener per request is noise. */
function timedRequests(app: express.Express): http.RequestListener {
  return (req, res) => {
    const started = performance.now();
    res.once('finish', () => {
      timings.request.count++;
      timings.request.totalMs += performance.now() - started;
    });
    app(req, res);
  };
}

let server: http.Server | undefined;
let db: Db | undefined;
let temporal: Client | undefined;

async function start(mode: ServerMode, env: Record<string, string>): Promise<number> {
  const config = loadConfig(env);
  let app: express.Express;
  if (mode === 'bare-express') {
    app = bareExpress(config.WEBHOOK_BODY_LIMIT);
  } else if (mode === 'express-signal-with-start') {
    temporal = createTemporalClient(config);
    app = expressSignalWithStart(config, temporal);
  } else {
    db = createDb(config.DATABASE_URL);
    temporal = mode === 'gateway-full' ? createTemporalClient(config) : stubTemporal();
    if (mode === 'gateway-full') timeSignalWithStart(temporal);
    app = createApp({ config, db, temporal, log: createLogger('silent', 'gateway') });
  }
  server = http.createServer(mode === 'gateway-full' ? timedRequests(app) : app);
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function stop(): Promise<void> {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
  }
  await temporal?.connection.close().catch(() => undefined);
  await db?.destroy().catch(() => undefined);
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'start') {
    start(message.mode, message.env).then(
      (port) => send({ type: 'ready', port }),
      (error: unknown) => send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  } else if (message.type === 'timings') {
    send({ type: 'timings', ...timings });
    timings = emptyTimings();
  } else if (message.type === 'stop') {
    void stop().finally(() => process.exit(0));
  }
});
// Never outlive the parent.
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
