/**
 * The real path's credits: prepared top-ups (a top_ups row with its Checkout Session id, and a TopUp workflow
 * started with the account as the REST call starts it, waiting for Stripe's event), each credited by one signed
 * `checkout.session.completed` POSTed to the gateway. Preparing skips only the createCheckoutSession update, the
 * one step that calls Stripe; the workflow then waits exactly as after POST /v1/credits/top-ups.
 */
import http from 'node:http';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/connection.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';
import { topUpWorkflow } from '../../workflows/top-up/workflow.js';
import { BENCH_TENANT_ID, buildSignedEvents, makeTopUpIds, type SignedEvent } from '../events.js';
import type { Credit } from './credit.js';
import { forEachConcurrently, waitUntilIdle } from './workflow-starts.js';

export interface TopUpPathOptions {
  db: Db;
  client: Client;
  taskQueue: string;
  retry: RetrySchedule;
  /** The gateway's Stripe webhook URL. */
  url: string;
  agent: http.Agent;
  webhookSecret: string;
  apiVersion: string;
}

/** One wallet per top-up, as for distinct customers: a shared balance row would serialize the credits. */
const accountFor = (topUpId: string) => `acct_${topUpId.slice(3, 19)}`;

function postEvent(opts: TopUpPathOptions, event: SignedEvent, credit: Credit): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      opts.url,
      {
        method: 'POST',
        agent: opts.agent,
        headers: { 'content-type': 'application/json', 'content-length': event.body.length, 'stripe-signature': event.signature },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300 && body.includes('"routed"')) {
            credit.ackAt = performance.now();
            resolve();
          } else {
            reject(new Error(`HTTP ${status}: ${body.slice(0, 300)}`));
          }
        });
      },
    );
    request.on('error', reject);
    request.setTimeout(30_000, () => request.destroy(new Error('no answer within 30 s')));
    credit.sentAt = performance.now();
    request.end(event.body);
  });
}

/** `count` prepared top-ups, their workflows idle and waiting; signed now (the gateway's tolerance is 300 s). */
export async function prepareTopUps(opts: TopUpPathOptions, count: number): Promise<Credit[]> {
  const events = buildSignedEvents({ count, topUpIds: makeTopUpIds(count), secret: opts.webhookSecret, apiVersion: opts.apiVersion });
  for (let i = 0; i < events.length; i += 1_000) {
    await opts.db
      .insertInto('top_ups')
      .values(
        events.slice(i, i + 1_000).map((event) => ({
          tenant_id: BENCH_TENANT_ID,
          id: event.topUpId,
          account_id: accountFor(event.topUpId),
          amount: event.signal.amountTotal,
          currency: event.signal.currency,
          status: 'pending' as const,
          checkout_session_id: event.signal.sessionId,
        })),
      )
      .execute();
  }
  await forEachConcurrently(events, 32, (event) =>
    opts.client.workflow.start(topUpWorkflow, {
      workflowId: event.workflowId,
      taskQueue: opts.taskQueue,
      args: [{ tenantId: BENCH_TENANT_ID, topUpId: event.topUpId, accountId: accountFor(event.topUpId), retry: opts.retry }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    }),
  );
  await waitUntilIdle(opts.client, events.map((event) => event.workflowId));
  return events.map((event) => {
    const credit: Credit = {
      key: `top_up:${event.topUpId}`,
      workflowId: event.workflowId,
      deliver: () => postEvent(opts, event, credit),
    };
    return credit;
  });
}
