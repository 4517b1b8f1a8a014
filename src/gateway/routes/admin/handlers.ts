import { financialSeries, recoveryFunnel } from '../../../db/financial-series.js';
import { financialSummary } from '../../../db/financial-summary.js';
import { recoveryStats } from '../../../db/recovery-campaigns.js';
import type { PlatformMetrics } from '../../../metrics/platform.js';
import { webhookHealthFor } from '../../../metrics/webhook-health.js';
import { problems } from '../../problem.js';
import type { Handlers, RouteDeps } from '../../route.js';
import { seriesJson, summaryJson } from './mappers.js';
import type { contracts } from './schemas.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_SERIES_DAYS = 400;

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/** [from, to) from optional datetimes: to defaults to now, from to 30 days before it. */
function range(query: { from?: string | undefined; to?: string | undefined }): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to) throw problems.validation([{ field: 'query.from', message: 'must be before `to`' }]);
  return { from, to };
}

export function adminHandlers({ db }: RouteDeps): Handlers<typeof contracts> {
  return {
    async financialSummary({ query, principal }, res) {
      const { from, to } = range(query);
      const [summary, recoveries] = await Promise.all([
        financialSummary(db, principal.tenantId, from, to),
        recoveryStats(db, principal.tenantId, { from, to }),
      ]);
      res.json(summaryJson(summary, recoveries));
    },
    async financialSeries({ query, principal }, res) {
      const to = query.to ?? isoDay(new Date());
      const from = query.from ?? isoDay(new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS));
      const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
      if (days < 1) throw problems.validation([{ field: 'query.from', message: 'must not be after `to`' }]);
      if (days > MAX_SERIES_DAYS) throw problems.validation([{ field: 'query.from', message: `at most ${MAX_SERIES_DAYS} days per request` }]);
      const series = await financialSeries(db, principal.tenantId, from, to);
      res.json(seriesJson(principal.tenantId, from, to, series));
    },
    async recoveryFunnel({ query, principal }, res) {
      const { from, to } = range(query);
      const funnel = await recoveryFunnel(db, principal.tenantId, from, to);
      res.json({ from: from.toISOString(), to: to.toISOString(), ...funnel });
    },
    async webhookHealth({ raw }, res) {
      const metrics = raw.app.locals.metrics as PlatformMetrics;
      res.json({ scope: 'gateway_process', ...webhookHealthFor(metrics.gateway).snapshot() });
    },
  };
}
