import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Db } from '../../src/db/connection.js';
import { createPlatformMetrics } from '../../src/metrics/platform.js';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}

const rules = (parse(readFileSync(path.join(PROJECT_ROOT, 'docker', 'prometheus', 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(
  (group) => group.rules,
);

describe('Prometheus alert rules', () => {
  it('cover webhook 5xx, stuck work, schedule-to-start latency and webhook silence', () => {
    expect(rules.map((rule) => rule.alert)).toEqual([
      'PaymentsWebhook5xxRate',
      'PaymentsStuckWork',
      'PaymentsActivityScheduleToStartLatency',
      'PaymentsNoWebhookReceived',
    ]);
  });

  it('name only metrics the gateway exports (payments_*) or the Temporal SDK does (temporal_*)', () => {
    const { registry } = createPlatformMetrics({ db: {} as Db, temporal: {} as never, taskQueue: 'payments' });
    const exported = new Set(registry.getMetricsAsArray().map((metric) => metric.name));
    const named = rules.flatMap((rule) => [...rule.expr.matchAll(/\b(payments_[a-z_]+|temporal_[a-z_]+)/g)].map((match) => match[1]!));
    const ours = named.filter((name) => name.startsWith('payments_')).map((name) => name.replace(/_(bucket|count|sum)$/, ''));
    expect(ours.filter((name) => !exported.has(name))).toEqual([]);
    expect(named.filter((name) => name.startsWith('temporal_'))).toEqual(['temporal_activity_schedule_to_start_latency_bucket']);
  });
});
