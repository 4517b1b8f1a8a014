import type { Client } from '@temporalio/client';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { poolOf } from '../db/connection.js';
import type { Db } from '../db/connection.js';
import { registerBusinessMetrics } from './business.js';
import { registerGatewayMetrics, type GatewayMetrics } from './gateway.js';

export interface MetricsSources {
  db: Db;
  temporal: Client;
  /** This deployment's task queue: a namespace may hold other deployments' workflows. */
  taskQueue: string;
}

/** Visibility queries quote values; tenant ids are ours, but never trust a quote in them. */
const quoted = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Workflows waiting for an operator (retries ran out, events parked), counted by Temporal visibility at scrape time. */
function registerAttentionMetric(registry: Registry, { temporal, taskQueue }: MetricsSources, tenantId?: string): void {
  new Gauge({
    name: 'payments_needs_attention_workflows',
    help: 'Workflows waiting for an operator (NeedsAttention = true): GET /v1/admin/attention lists them.',
    registers: [registry],
    async collect() {
      const scope = `NeedsAttention = true AND TaskQueue = ${quoted(taskQueue)}`;
      const query = tenantId === undefined ? scope : `${scope} AND TenantId = ${quoted(tenantId)}`;
      const { count } = await temporal.workflow.count(query);
      this.set(count);
    },
  });
}

function registerPoolMetrics(registry: Registry, db: Db): void {
  const pool = poolOf(db);
  if (!pool) return;
  new Gauge({
    name: 'payments_db_pool_connections',
    help: 'PostgreSQL pool connections of this process: total, idle, and callers waiting for one.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
}

export interface PlatformMetrics {
  /** Everything, every tenant: what the operator's Prometheus scrapes on METRICS_PORT. */
  registry: Registry;
  gateway: GatewayMetrics;
}

export function createPlatformMetrics(sources: MetricsSources): PlatformMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'payments_process_' });
  const gateway = registerGatewayMetrics(registry);
  registerBusinessMetrics(registry, { db: sources.db });
  registerAttentionMetric(registry, sources);
  registerPoolMetrics(registry, sources.db);
  return { registry, gateway };
}

/** One tenant's money and stuck work, for its admin's scrape of GET /metrics (built per request, nothing kept). */
export function tenantMetricsRegistry(sources: MetricsSources, tenantId: string): Registry {
  const registry = new Registry();
  registerBusinessMetrics(registry, { db: sources.db, tenantId });
  registerAttentionMetric(registry, sources, tenantId);
  return registry;
}
