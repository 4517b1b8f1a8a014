import uPlot from 'uplot';

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777'];
/** Whole steps only (amounts are minor units, counts are counts): 1, 2, 5, 10, 20, 50, … */
const INTEGER_STEPS = Array.from({ length: 16 }, (_, power) => [1, 2, 5].map((step) => step * 10 ** power)).flat();
/** Days and hours in UTC, like the API's buckets. */
const utc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');

export interface ChartSeries {
  label: string;
  values: number[];
}

/**
 * A uPlot line chart over time (x in seconds since the epoch), sized to its container. `format` renders a y value
 * (the axis and the legend), e.g. with the currency's exponent.
 */
export function lineChart(
  container: HTMLElement,
  options: { title: string; x: number[]; series: ChartSeries[]; format: (value: number) => string; bars?: boolean },
): uPlot {
  const width = Math.max(320, Math.min(container.clientWidth || 900, 1100));
  const bars = options.bars ? uPlot.paths.bars!({ size: [0.8, 40] }) : undefined;
  return new uPlot(
    {
      title: options.title,
      width,
      height: 260,
      series: [
        {},
        ...options.series.map((series, index) => ({
          label: series.label,
          stroke: COLORS[index % COLORS.length],
          width: 2,
          value: (_chart: uPlot, value: number | null) => (value === null ? '–' : options.format(value)),
          ...(bars ? { paths: bars, fill: `${COLORS[index % COLORS.length]}55` } : {}),
        })),
      ],
      tzDate: utc,
      axes: [{}, { size: 80, incrs: INTEGER_STEPS, values: (_chart, ticks) => ticks.map((tick) => options.format(tick)) }],
    },
    [options.x, ...options.series.map((series) => series.values)],
    container,
  );
}
